"""`depllc doctor`: every check that says whether the install works, each with a
pass / warn / fail line and a fix. A failing AWS call names the IAM action denied.

Checks after the credentials one run in parallel (each is one or two AWS calls)."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.aws import AwsClients
from core.config import Settings
from core.db import ALL_INDEXES, Store
from core.setup.awserr import error_code, explain, is_denied
from core.setup.targets import Account, Arns, Targets

CLOCK_WARN_SECONDS = 30
CLOCK_FAIL_SECONDS = 300  # SigV4 and presigned URLs go wrong well before 15 minutes
QUOTA_WARN_RATIO = 0.8
IAM_FIX = "Attach the policy printed by `depllc iam-policy` to this identity."
SETUP_FIX = "Run `depllc setup` (it creates or fixes only what is missing)."


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass
class Check:
    id: str
    title: str
    status: Status
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
        }


# (id, title) in the order they are shown.
CHECKS: list[tuple[str, str]] = [
    ("settings", "Settings"),
    ("credentials", "AWS credentials and caller identity"),
    ("region", "Region"),
    ("sender", "Sender identity verified"),
    ("dkim", "Sender domain DKIM signing"),
    ("ses-access", "SES production access"),
    ("quota", "SES sending quota"),
    ("configuration-set", "SES configuration set"),
    ("event-destination", "SES event destination (SNS)"),
    ("queue", "Events queue reachable"),
    ("subscription", "Queue subscribed to the events topic"),
    ("bucket", "S3 bucket exists"),
    ("bucket-versioning", "S3 bucket versioning"),
    ("bucket-encryption", "S3 bucket default encryption"),
    ("bucket-tls", "S3 bucket TLS-only policy"),
    ("bucket-public-access", "S3 bucket public access blocked"),
    ("bucket-lifecycle", "S3 bucket lifecycle rule"),
    ("mongodb", "MongoDB reachable"),
    ("indexes", "MongoDB indexes present"),
    ("operator", "Operator identity and CRM user id"),
    ("journal", "Journal of pending log writes"),
    ("clock", "Clock skew against AWS"),
]
TITLES = dict(CHECKS)
AWS_CHECKS = {
    "sender",
    "dkim",
    "ses-access",
    "quota",
    "configuration-set",
    "event-destination",
    "queue",
    "subscription",
    "bucket",
    "bucket-versioning",
    "bucket-encryption",
    "bucket-tls",
    "bucket-public-access",
    "bucket-lifecycle",
}


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.FAIL]

    @property
    def ok(self) -> bool:
        return not self.failed

    def get(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)

    def summary(self) -> str:
        counts = {s: sum(c.status is s for c in self.checks) for s in Status}
        parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
        verdict = "All checks pass." if self.ok else f"{len(self.failed)} failing."
        return f"{verdict} ({', '.join(parts)}; {self.elapsed:.1f}s)"

    def render(self) -> str:
        marks = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "skip"}
        width = max(len(c.title) for c in self.checks) if self.checks else 0
        lines = []
        for c in self.checks:
            lines.append(f"{marks[c.status]}  {c.title:<{width}}  {c.detail}")
            if c.fix and c.status in (Status.FAIL, Status.WARN):
                first, *more = c.fix.splitlines()
                lines.append(f"      {'':<{width}}  fix: {first}")
                lines += more  # e.g. DNS records, indented by the check, kept whole
        lines += ["", self.summary()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class DoctorEnv:
    settings: Settings
    aws: AwsClients
    store: Store | None
    targets: Targets | None = None
    account: Account | None = None
    aws_date: dt.datetime | None = None  # the Date header of an AWS response
    local_at: dt.datetime | None = None  # local time when that response arrived
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    @property
    def arns(self) -> Arns:
        assert self.targets is not None and self.account is not None
        return Arns(self.targets, self.account)


def _check(check_id: str, status: Status, detail: str, fix: str = "") -> Check:
    return Check(check_id, TITLES[check_id], status, detail, fix)


def _aws_failure(check_id: str, exc: BaseException, fix: str = "") -> Check:
    """A failed AWS call: the readable error, naming the denied action if it was one."""
    if is_denied(exc):
        return _check(check_id, Status.FAIL, explain(exc), IAM_FIX)
    # An S3/SES-compatible endpoint (AWS_ENDPOINT_URL, moto) without this call.
    if isinstance(exc, NotImplementedError):
        return _check(check_id, Status.WARN, "not supported by this endpoint")
    if error_code(exc) in {"404", "501", "NotImplemented"}:
        return _check(check_id, Status.WARN, f"not supported by this endpoint ({explain(exc)})")
    return _check(check_id, Status.FAIL, explain(exc), fix)


# --- the checks -------------------------------------------------------------------


def check_settings(env: DoctorEnv) -> Check:
    try:
        env.targets = Targets.from_settings(env.settings)
    except Exception as exc:
        from core.errors import DepllcError, describe

        return _check(
            "settings",
            Status.FAIL,
            exc.message if isinstance(exc, DepllcError) else describe(exc).text,
            "Set AWS_S3_BUCKET, AWS_SES_FROM_EMAIL and MONGODB_URI (`depllc config show`).",
        )
    t = env.targets
    return _check(
        "settings", Status.PASS, f"bucket {t.bucket}, sender {t.sender}, set {t.config_set}"
    )


def check_credentials(env: DoctorEnv) -> Check:
    from core.setup.context import caller_account

    try:
        env.account, response = caller_account(env.aws)
    except Exception as exc:
        from core.errors import describe

        fix = (
            "Set AWS_PROFILE (or --profile) to a profile with access, run `aws sso login` "
            "if it uses SSO, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
        )
        return _check("credentials", Status.FAIL, describe(exc).text, fix)
    env.local_at = env.clock()
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    if headers.get("date"):
        try:
            env.aws_date = email.utils.parsedate_to_datetime(str(headers["date"]))
        except (TypeError, ValueError):
            env.aws_date = None
    return _check(
        "credentials", Status.PASS, f"account {env.account.account_id} as {env.account.arn}"
    )


def check_region(env: DoctorEnv) -> Check:
    region = env.settings.aws_region
    s3_region = env.settings.s3_region
    extra = f"; S3 in {s3_region}" if s3_region != region else ""
    if env.aws.endpoint_url:
        return _check("region", Status.PASS, f"{region}{extra} via {env.aws.endpoint_url}")
    regions = env.aws.session.get_available_regions("ses")
    if regions and region not in regions:
        return _check(
            "region",
            Status.FAIL,
            f"SES is not available in {region}",
            "Set AWS_REGION to an SES region (e.g. us-east-1, eu-west-1).",
        )
    return _check("region", Status.PASS, f"{region} (SES available){extra}")


def check_sender(env: DoctorEnv) -> list[Check]:
    """The sender's identity, then its domain's DKIM (one read of the identities)."""
    from core.setup.ses import domain_record, read_identities, sender_status

    assert env.targets is not None
    try:
        identities = read_identities(env.aws.ses, env.targets)
    except Exception as exc:
        return [_aws_failure("sender", exc), _check("dkim", Status.SKIP, "identities unknown")]
    status = sender_status(env.aws.ses, env.targets, identities)
    dkim = check_dkim(env, domain_is_identity=env.targets.sender_domain in identities)
    if status.state == "verified":
        return [_check("sender", Status.PASS, status.describe()), dkim]
    if status.state == "pending":
        how = (
            domain_record(status.identity, status.token)
            if "@" not in status.identity
            else f"Open the verification link AWS emailed to {status.identity}"
        )
        return [_check("sender", Status.WARN, status.describe(), how), dkim]
    fix = SETUP_FIX + " Then verify it."
    return [_check("sender", Status.FAIL, status.describe(), fix), dkim]


def check_dkim(env: DoctorEnv, domain_is_identity: bool) -> Check:
    """Easy DKIM of the sender's domain, when the domain is an SES identity."""
    from core.setup.dkim import LIST_RECORDS, LOOK_HOURS, read_dkim
    from core.setup.plan import format_records

    assert env.targets is not None
    t = env.targets
    domain = t.sender_domain
    if not domain_is_identity:
        return _check(
            "dkim",
            Status.WARN,
            f"not applicable: {domain} is not an SES identity, so mail from {t.sender} "
            "is DKIM-signed as amazonses.com, not as your domain",
            f"To sign as {domain} (DMARC alignment): run `depllc setup --verify-domain`, "
            "then publish the DNS records it prints.",
        )
    try:
        state = read_dkim(env.aws.ses, domain)
    except Exception as exc:
        return _aws_failure("dkim", exc)
    records = format_records(state.records, indent="        ")
    publish = (
        f"Publish the {len(state.records)} CNAME records at {domain}'s DNS host ({LIST_RECORDS}):"
    )
    if not state.started:
        return _check(
            "dkim",
            Status.WARN,
            f"{domain}: Easy DKIM not set up (NotStarted): mail is signed as amazonses.com",
            "Run `depllc setup`: it requests the DKIM tokens and prints the 3 CNAME records "
            "to publish.",
        )
    if state.status == "Failed":
        return _check(
            "dkim",
            Status.FAIL,
            f"{domain}: Failed, SES did not find the CNAME records within {LOOK_HOURS} hours; "
            "mail is not signed as your domain",
            f"Publish the {len(state.records)} CNAME records at {domain}'s DNS host, then run "
            f"`depllc setup` to restart the verification:\n{records}",
        )
    if state.status == "TemporaryFailure":
        return _check(
            "dkim",
            Status.FAIL,
            f"{domain}: TemporaryFailure, SES could not check the CNAME records",
            f"Check that these records are still published at {domain}'s DNS host (SES "
            f"retries by itself):\n{records}",
        )
    if not state.enabled:
        extra = f"\n{publish}\n{records}" if state.status == "Pending" else ""
        return _check(
            "dkim",
            Status.WARN,
            f"{domain}: {state.status}, but DKIM signing is turned off",
            f"Run `depllc setup` to turn Easy DKIM signing back on.{extra}",
        )
    if state.status == "Pending":
        return _check(
            "dkim",
            Status.WARN,
            f"{domain}: Pending, SES has not found the CNAME records yet",
            f"{publish}\n{records}",
        )
    if state.status == "Success":
        return _check(
            "dkim",
            Status.PASS,
            f"{domain}: Success, signing enabled ({len(state.records)} CNAME records)",
        )
    return _check(
        "dkim", Status.WARN, f"{domain}: DKIM status {state.status}", f"{publish}\n{records}"
    )


def check_ses_access(env: DoctorEnv) -> Check:
    try:
        account = env.aws.sesv2.get_account()
    except Exception as exc:
        return _aws_failure("ses-access", exc)
    if not account.get("SendingEnabled", True):
        return _check(
            "ses-access",
            Status.FAIL,
            f"sending is paused for this account (enforcement: "
            f"{account.get('EnforcementStatus', '?')})",
            "Check the SES account dashboard for the reason and resume sending.",
        )
    if not account.get("ProductionAccessEnabled"):
        return _check(
            "ses-access",
            Status.WARN,
            "SES sandbox: mail only to verified addresses, 200 messages a day",
            "Request production access: SES console > Account dashboard > Request production "
            "access.",
        )
    enforcement = account.get("EnforcementStatus", "HEALTHY")
    if enforcement not in ("HEALTHY", None):
        return _check(
            "ses-access",
            Status.WARN,
            f"production access, but the account is under review ({enforcement})",
            "Check bounce and complaint rates in the SES reputation dashboard.",
        )
    return _check("ses-access", Status.PASS, "production access")


def check_quota(env: DoctorEnv) -> Check:
    try:
        quota = env.aws.ses.get_send_quota()
    except Exception as exc:
        return _aws_failure("quota", exc)
    limit = float(quota.get("Max24HourSend", 0))
    sent = float(quota.get("SentLast24Hours", 0))
    rate = float(quota.get("MaxSendRate", 0))
    if limit < 0:
        return _check("quota", Status.PASS, f"unlimited; {sent:.0f} sent in 24 h, {rate:g}/s")
    detail = f"{sent:.0f} of {limit:.0f} sent in the last 24 h; max {rate:g} messages/s"
    if limit and sent >= limit:
        return _check(
            "quota", Status.FAIL, detail, "Wait for the 24-hour window, or ask AWS for more."
        )
    if limit and sent >= QUOTA_WARN_RATIO * limit:
        return _check("quota", Status.WARN, detail, "Request a higher quota before bulk sends.")
    return _check("quota", Status.PASS, detail)


def check_configuration_set(env: DoctorEnv) -> list[Check]:
    from core.setup.ses import missing_event_types, read_event_destinations, sns_destination

    assert env.targets is not None
    name = env.targets.config_set
    try:
        destinations = read_event_destinations(env.aws.ses, name)
    except Exception as exc:
        failure = _aws_failure("configuration-set", exc)
        return [failure, _check("event-destination", Status.SKIP, "configuration set unknown")]
    if destinations is None:
        return [
            _check("configuration-set", Status.FAIL, f"{name} does not exist", SETUP_FIX),
            _check("event-destination", Status.SKIP, "no configuration set"),
        ]
    sets = _check("configuration-set", Status.PASS, f"{name} exists")
    topic = env.arns.topic
    ours = sns_destination(destinations, topic)
    if ours is None:
        detail = f"no SNS destination to {env.targets.topic}: events are lost"
        return [sets, _check("event-destination", Status.FAIL, detail, SETUP_FIX)]
    problems = [] if ours.get("Enabled") else ["disabled"]
    missing = missing_event_types(ours)
    if missing:
        problems.append(f"missing event types {', '.join(missing)}")
    if problems:
        detail = f"{ours.get('Name')}: {'; '.join(problems)}"
        return [sets, _check("event-destination", Status.FAIL, detail, SETUP_FIX)]
    ok = f"{ours.get('Name')}: all event types -> {env.targets.topic}"
    return [sets, _check("event-destination", Status.PASS, ok)]


def check_queue(env: DoctorEnv) -> list[Check]:
    from core.setup.events import allows_only_topic, is_subscribed, queue_attributes

    assert env.targets is not None
    t = env.targets
    sqs = env.aws.sqs
    url = env.settings.ses_events_queue_url
    try:
        if not url:
            url = str(sqs.get_queue_url(QueueName=t.queue)["QueueUrl"])
        attrs = queue_attributes(sqs, url)
    except Exception as exc:
        skip = _check("subscription", Status.SKIP, "queue unreachable")
        if error_code(exc) in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
            return [
                _check("queue", Status.FAIL, f"queue {t.queue} does not exist", SETUP_FIX),
                skip,
            ]
        return [_aws_failure("queue", exc), skip]
    arns = env.arns
    redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else {}
    if redrive.get("deadLetterTargetArn"):
        dlq = str(redrive["deadLetterTargetArn"]).rsplit(":", 1)[-1]
        dead = _dead_letters(sqs, dlq)
        if dead:
            queue = _check(
                "queue",
                Status.WARN,
                f"{url}: {dead} events could not be processed and wait in {dlq}",
                "Read them (SQS console, or `aws sqs receive-message`), fix the cause, then "
                f"redrive or purge {dlq}.",
            )
        else:
            queue = _check("queue", Status.PASS, f"{url} (dead letters -> {dlq}, empty)")
    else:
        queue = _check(
            "queue",
            Status.WARN,
            f"{url} has no dead-letter queue: a poison event is retried forever",
            SETUP_FIX,
        )
    queue_arn = attrs.get("QueueArn", arns.queue)
    try:
        subscribed = is_subscribed(env.aws.sns, arns.topic, queue_arn)
    except Exception as exc:
        if error_code(exc) in {"NotFound", "NotFoundException"}:
            missing = f"topic {t.topic} does not exist"
            return [queue, _check("subscription", Status.FAIL, missing, SETUP_FIX)]
        return [queue, _aws_failure("subscription", exc)]
    if not subscribed:
        detail = f"{t.topic} has no subscription to this queue: events never arrive"
        return [queue, _check("subscription", Status.FAIL, detail, SETUP_FIX)]
    policy = json.loads(attrs["Policy"]) if attrs.get("Policy") else None
    if not allows_only_topic(policy, arns):
        detail = (
            "the queue policy does not let the topic send (or lets others send)"
            if policy
            else "no queue policy: SNS cannot deliver to the queue"
        )
        return [queue, _check("subscription", Status.FAIL, detail, SETUP_FIX)]
    return [queue, _check("subscription", Status.PASS, f"{t.topic} -> queue, only it may send")]


def _dead_letters(sqs: Any, dlq: str) -> int:
    """Messages waiting in the dead-letter queue (0 when it cannot be read)."""
    try:
        url = sqs.get_queue_url(QueueName=dlq)["QueueUrl"]
        attrs = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    except Exception:
        return 0  # a missing or unreadable DLQ shows up in `depllc setup --dry-run`
    return int(attrs.get("ApproximateNumberOfMessages", 0))


def check_bucket(env: DoctorEnv) -> list[Check]:
    from core.setup import bucket as b

    assert env.targets is not None
    t = env.targets
    s3 = env.aws.s3
    rest = [cid for cid, _ in CHECKS if cid.startswith("bucket-")]
    try:
        s3.head_bucket(Bucket=t.bucket, ExpectedBucketOwner=env.arns.account.account_id)
    except Exception as exc:
        code = error_code(exc)
        skips = [_check(cid, Status.SKIP, "no bucket") for cid in rest]
        if code in {"404", "NoSuchBucket", "NotFound"}:
            return [_check("bucket", Status.FAIL, f"{t.bucket} does not exist", SETUP_FIX), *skips]
        if code in {"403", "Forbidden", "AccessDenied"}:
            detail = (
                f"{t.bucket} exists but is not in account {env.arns.account.account_id} or "
                "access is denied (denied action: s3:ListBucket)"
            )
            fix = "Choose another AWS_S3_BUCKET if the name is taken; else: " + IAM_FIX
            return [_check("bucket", Status.FAIL, detail, fix), *skips]
        if code in {"301", "PermanentRedirect"}:
            region = (
                getattr(exc, "response", {})
                .get("ResponseMetadata", {})
                .get("HTTPHeaders", {})
                .get("x-amz-bucket-region", "another region")
            )
            detail = f"{t.bucket} is in {region}, not {t.s3_region}"
            fix = f"Set AWS_S3_REGION={region}."
            return [_check("bucket", Status.FAIL, detail, fix), *skips]
        return [_aws_failure("bucket", exc), *skips]
    checks = [_check("bucket", Status.PASS, f"{t.bucket} ({t.s3_region})")]

    def guarded(check_id: str, func: Callable[[], Check]) -> Check:
        try:
            return func()
        except Exception as exc:
            return _aws_failure(check_id, exc)

    def versioning() -> Check:
        status = b.read_versioning(s3, t.bucket)
        if status == "Enabled":
            return _check("bucket-versioning", Status.PASS, "Enabled")
        return _check("bucket-versioning", Status.FAIL, f"versioning {status}", SETUP_FIX)

    def encryption() -> Check:
        rule = b.read_encryption(s3, t.bucket)
        text = b.describe_encryption(rule)
        if b.encryption_ok(rule, t):
            return _check("bucket-encryption", Status.PASS, text)
        want = b.describe_encryption(b.encryption_rule(t))
        return _check("bucket-encryption", Status.FAIL, f"{text}; want {want}", SETUP_FIX)

    def tls() -> Check:
        if b.plain_http(env.aws.endpoint_url):
            # A TLS-only policy would refuse every request to a plain-HTTP endpoint.
            return _check("bucket-tls", Status.WARN, "not applicable: the endpoint is plain HTTP")
        policy = b.read_policy(s3, t.bucket)
        statements = (policy or {}).get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        if any(
            isinstance(s, dict) and b.denies_insecure_transport(s, env.arns) for s in statements
        ):
            return _check("bucket-tls", Status.PASS, "denies requests without TLS")
        detail = "no bucket policy" if policy is None else "the policy allows plain HTTP"
        return _check("bucket-tls", Status.FAIL, detail, SETUP_FIX)

    def public_access() -> Check:
        block = b.read_public_access_block(s3, t.bucket)
        if block and all(block.get(k) for k in b.PUBLIC_ACCESS_BLOCK):
            return _check("bucket-public-access", Status.PASS, "all public access blocked")
        open_parts = [k for k in b.PUBLIC_ACCESS_BLOCK if not (block or {}).get(k)]
        detail = f"not blocked: {', '.join(open_parts)}"
        return _check("bucket-public-access", Status.WARN, detail, SETUP_FIX)

    def lifecycle() -> Check:
        from core.setup.targets import LIFECYCLE_RULE_ID

        rules = b.read_lifecycle(s3, t.bucket)
        ours = next((r for r in rules if r.get("ID") == LIFECYCLE_RULE_ID), None)
        if ours is not None and b.lifecycle_ok(ours, t):
            detail = f"incomplete uploads 7 d, old versions {t.noncurrent_days} d"
            return _check("bucket-lifecycle", Status.PASS, detail)
        detail = (
            "no rule removing incomplete uploads and old versions: storage grows"
            if ours is None
            else f"{LIFECYCLE_RULE_ID} differs from the settings"
        )
        return _check("bucket-lifecycle", Status.WARN, detail, SETUP_FIX)

    checks.append(guarded("bucket-versioning", versioning))
    checks.append(guarded("bucket-encryption", encryption))
    checks.append(guarded("bucket-tls", tls))
    checks.append(guarded("bucket-public-access", public_access))
    checks.append(guarded("bucket-lifecycle", lifecycle))
    return checks


def check_mongodb(env: DoctorEnv) -> list[Check]:
    uri = env.settings.mongodb_uri
    if env.store is None:
        if not uri:
            fix = "Set MONGODB_URI (mongomock:// for an in-process store)."
            return [
                _check("mongodb", Status.FAIL, "MONGODB_URI is not set", fix),
                _check("indexes", Status.SKIP, "no database"),
            ]
        from core.db import connect

        try:
            env.store = connect(uri, env.settings.database, timeout_ms=3000)
        except Exception as exc:
            from core.errors import describe

            return [
                _check("mongodb", Status.FAIL, describe(exc).text, "Check MONGODB_URI."),
                _check("indexes", Status.SKIP, "no database"),
            ]
    store = env.store
    try:
        store.ping()
    except Exception as exc:
        from core.errors import describe

        fix = "Check MONGODB_URI, the network, and that the server is up."
        return [
            _check("mongodb", Status.FAIL, describe(exc).text, fix),
            _check("indexes", Status.SKIP, "no database"),
        ]
    reachable = database_check(env, store)
    try:
        missing = store.missing_indexes()
    except Exception as exc:
        from core.errors import describe

        return [reachable, _check("indexes", Status.FAIL, describe(exc).text)]
    total = sum(len(specs) for specs in ALL_INDEXES.values())
    if missing:
        shown = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        return [reachable, _check("indexes", Status.FAIL, f"missing {shown}", SETUP_FIX)]
    return [reachable, _check("indexes", Status.PASS, f"all {total} present")]


def database_check(env: DoctorEnv, store: Store) -> Check:
    """Reachable: which database, with its counts of logs and files (an empty one
    stands out), and a warning when MONGODB_DB and the URI disagree."""
    from core.errors import describe

    empty = False
    try:
        logs = store.emaillogs.estimated_document_count()
        files = store.files.estimated_document_count()
        counts = f"{logs:,} email log{'s' * (logs != 1)}, {files:,} file{'s' * (files != 1)}"
        empty = logs == 0 and files == 0
    except Exception as exc:
        counts = f"cannot count records: {describe(exc).text}"
    detail = f"database {store.db.name} on {store.uri_label}: {counts}"
    conflict = env.settings.database_conflict()
    if conflict:
        fix = "Unset MONGODB_DB, or make it name the same database as MONGODB_URI."
        return _check("mongodb", Status.WARN, f"{detail}; {conflict}", fix)
    if empty and not env.settings.wants_sandbox:
        fix = "Check MONGODB_DB or the database MONGODB_URI names: is this the CRM's?"
        return _check("mongodb", Status.WARN, f"{detail} (empty)", fix)
    return _check("mongodb", Status.PASS, detail)


def check_operator(env: DoctorEnv) -> Check:
    """Who the console will act as: the caller's ARN in the operators list."""
    from core.identity import connected_identity, sandbox_identity

    if env.settings.wants_sandbox:
        me = sandbox_identity(env.settings)
        crm = me.crm_user_id or "no CRM user id"
        return _check("operator", Status.PASS, f"sandbox: {me.login} as {me.role}, {crm}")
    if env.store is None or env.account is None:
        return _check("operator", Status.SKIP, "needs working credentials and MongoDB")
    add = "`depllc operators add {arn} --role ROLE --crm-user-id ID` (run by an admin)"
    try:
        me = connected_identity(env.settings, env.aws, env.store)
    except Exception as exc:
        from core.errors import describe

        fix = "Unset DEPLLC_USER and DEPLLC_ROLE (the sandbox's overrides)."
        return _check("operator", Status.FAIL, describe(exc).text, fix)
    who = f"{me.arn} as {me.role}"
    if me.listed and me.crm_user_id:
        return _check("operator", Status.PASS, f"{who}, CRM user {me.crm_user_id}")
    if me.listed:
        fix = add.format(arn=me.arn)
        return _check(
            "operator", Status.WARN, f"{who}, no CRM user id: records carry no CRM user", fix
        )
    if me.crm_user_id:  # the list is empty: a single user's setting
        fix = "Start the list: `depllc operators add $(depllc operators whoami --arn) --role admin`"
        return _check(
            "operator",
            Status.WARN,
            f"{who}, CRM user {me.crm_user_id} (DEPLLC_CRM_USER_ID); no operators list yet",
            fix,
        )
    detail = f"{who}: {me.source}, no CRM user id (records carry no CRM user)"
    fix = (
        add.format(arn=me.arn)
        if me.source == "not in the operators list"
        else "Set DEPLLC_CRM_USER_ID (one user), or start the operators list: "
        "`depllc operators add $(depllc operators whoami --arn) --role admin`."
    )
    return _check("operator", Status.WARN, detail, fix)


def check_journal(env: DoctorEnv) -> Check:
    from core.db import MOCK_SCHEME, database_id
    from core.journal import Journal

    settings = env.settings
    here = database_id(settings.mongodb_uri or MOCK_SCHEME, settings.database)
    try:
        entries = Journal().pending()
    except Exception as exc:
        from core.errors import describe

        return _check("journal", Status.FAIL, describe(exc).text, "Check the state folder.")
    mine = sum(1 for e in entries if e.belongs_to(here))
    stale = sorted({e.database_label for e in entries if not e.belongs_to(here)})
    parts = []
    if mine:
        parts.append(f"{mine} log writes wait to be replayed into MongoDB")
    if stale:
        parts.append(f"{len(entries) - mine} stale (for {'; '.join(stale)}, not {here.label})")
    if not parts:
        return _check("journal", Status.PASS, "empty")
    fixes = []
    if mine:
        fixes.append(
            "Run `depllc journal replay` once MongoDB is reachable (startup also replays)."
        )
    if stale:
        fixes.append(
            "Stale entries are never replayed here: run `depllc journal replay` with "
            "MONGODB_URI and MONGODB_DB naming their database (`depllc journal list`), "
            "or drop those you abandon (`depllc journal drop --stale`, audited)."
        )
    return _check("journal", Status.WARN, "; ".join(parts), " ".join(fixes))


def check_clock(env: DoctorEnv) -> Check:
    if env.aws_date is None or env.local_at is None:
        return _check("clock", Status.SKIP, "no AWS response to compare with")
    skew = (env.local_at - env.aws_date).total_seconds()
    direction = "ahead of" if skew > 0 else "behind"
    detail = f"local clock {abs(skew):.0f}s {direction} AWS"
    fix = "Synchronise the clock (e.g. `timedatectl set-ntp true` or chrony)."
    if abs(skew) >= CLOCK_FAIL_SECONDS:
        return _check("clock", Status.FAIL, detail + ": signed requests will be refused", fix)
    if abs(skew) >= CLOCK_WARN_SECONDS:
        return _check("clock", Status.WARN, detail + ": presigned links expire early/late", fix)
    return _check("clock", Status.PASS, detail if abs(skew) >= 2 else "in step with AWS")


# --- running them ---------------------------------------------------------------


# The first check each group reports: where an unexpected error in it is shown.
_GROUP_FIRST = {
    "check_settings": "settings",
    "check_credentials": "credentials",
    "check_region": "region",
    "check_mongodb": "mongodb",
    "check_operator": "operator",
    "check_journal": "journal",
    "check_sender": "sender",
    "check_ses_access": "ses-access",
    "check_quota": "quota",
    "check_configuration_set": "configuration-set",
    "check_queue": "queue",
    "check_bucket": "bucket",
}


def _guarded(group: Callable[[DoctorEnv], Check | list[Check]], env: DoctorEnv) -> list[Check]:
    """Run a group of checks; an unexpected error becomes its first check's failure
    (the doctor itself never fails with a traceback)."""
    try:
        outcome = group(env)
    except Exception as exc:
        return [_aws_failure(_GROUP_FIRST[group.__name__], exc)]
    return outcome if isinstance(outcome, list) else [outcome]


def run_doctor(
    settings: Settings,
    aws: AwsClients | None = None,
    store: Store | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> DoctorReport:
    """Run every check; never raises for a broken install (that is what it reports)."""
    import time

    started = time.perf_counter()
    env = DoctorEnv(settings=settings, aws=aws or AwsClients(settings), store=store)
    if clock is not None:
        env.clock = clock
    results: dict[str, Check] = {}
    for check in (check_settings, check_credentials, check_region):
        for found in _guarded(check, env):
            results[found.id] = found
    groups: list[Callable[[DoctorEnv], Check | list[Check]]] = [check_mongodb, check_journal]
    aws_ready = env.account is not None and env.targets is not None
    if aws_ready:
        groups += [
            check_sender,
            check_ses_access,
            check_quota,
            check_configuration_set,
            check_queue,
            check_bucket,
        ]
    else:
        why = "needs working credentials" if env.account is None else "needs valid settings"
        for check_id in AWS_CHECKS:
            results[check_id] = _check(check_id, Status.SKIP, why)
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        for outcome in pool.map(lambda group: _guarded(group, env), groups):
            for found in outcome:
                results.setdefault(found.id, found)
    results["clock"] = check_clock(env)
    for found in _guarded(check_operator, env):
        results[found.id] = found
    report = DoctorReport(
        checks=[
            results.get(cid) or _check(cid, Status.SKIP, "not run (an earlier check failed)")
            for cid, _ in CHECKS
        ]
    )
    report.elapsed = time.perf_counter() - started
    return report
