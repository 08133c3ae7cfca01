"""The names setup creates and doctor checks, resolved from settings and validated
before anything is called: bucket, configuration set, topic, queues, sender identity."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from core.config import Settings
from core.errors import ConfigError, InputError

DEFAULT_CONFIG_SET = "depllc-crm-emails"
DEFAULT_EVENTS_NAME = "depllc-ses-events"  # the SNS topic and the SQS queue
DLQ_SUFFIX = "-dlq"
EVENT_DESTINATION = "depllc-sns-events"
LIFECYCLE_RULE_ID = "depllc-housekeeping"
TLS_POLICY_SID = "DenyInsecureConnections"  # the guide's Sid
QUEUE_POLICY_SID = "AllowDepllcSesEventsTopic"
ABORT_MULTIPART_DAYS = 7
DLQ_MAX_RECEIVE = 5
DLQ_RETENTION_SECONDS = 14 * 24 * 3600

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_QUEUE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CONFIG_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")


def check_bucket_name(name: str) -> None:
    """S3's naming rules; raise InputError naming the rule that is broken."""
    problem = ""
    if not _BUCKET.match(name):
        problem = "3-63 characters: lower-case letters, digits, dots and hyphens, starting and "
        problem += "ending with a letter or digit"
    elif ".." in name or ".-" in name or "-." in name:
        problem = "no two dots in a row and no dot next to a hyphen"
    elif name.startswith("xn--") or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        problem = "no reserved prefix (xn--) or suffix (-s3alias, --ol-s3, --x-s3)"
    else:
        try:
            ipaddress.ip_address(name)
            problem = "not formatted as an IP address"
        except ValueError:
            pass
    if problem:
        raise InputError(f"AWS_S3_BUCKET {name!r} is not a valid bucket name: {problem}.")


def _check(pattern: re.Pattern[str], value: str, what: str, rule: str) -> None:
    if not pattern.match(value):
        raise InputError(f"{what} {value!r} is not valid: {rule}.")


def queue_name_from_url(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Targets:
    """Every name setup manages; ARNs need the account and partition (from STS)."""

    region: str
    s3_region: str
    bucket: str
    config_set: str
    topic: str
    queue: str
    dlq: str
    sender: str
    sender_domain: str
    sse: str
    kms_key_id: str | None
    noncurrent_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        if not settings.aws_s3_bucket:
            raise ConfigError(
                "AWS_S3_BUCKET is not set.",
                "Set AWS_S3_BUCKET (and AWS_SES_FROM_EMAIL, MONGODB_URI), then rerun.",
            )
        if not settings.aws_ses_from_email:
            raise ConfigError(
                "AWS_SES_FROM_EMAIL is not set.",
                "Set it to the sender address (e.g. noreply@yourcompany.com), then rerun.",
            )
        check_bucket_name(settings.aws_s3_bucket)
        sender = settings.aws_ses_from_email.strip()
        _check(_EMAIL, sender, "AWS_SES_FROM_EMAIL", "expected an address like noreply@example.com")
        config_set = settings.ses_configuration_set or DEFAULT_CONFIG_SET
        _check(_CONFIG_SET, config_set, "SES_CONFIGURATION_SET", "letters, digits, _ and -, ≤64")
        queue = (
            queue_name_from_url(settings.ses_events_queue_url)
            if settings.ses_events_queue_url
            else DEFAULT_EVENTS_NAME
        )
        _check(_QUEUE, queue, "The events queue name", "letters, digits, _ and -, ≤80")
        dlq = queue[: 80 - len(DLQ_SUFFIX)] + DLQ_SUFFIX
        topic = DEFAULT_EVENTS_NAME if queue == DEFAULT_EVENTS_NAME else queue
        _check(_TOPIC, topic, "The events topic name", "letters, digits, _ and -")
        # aws:kms without a key id means the AWS-managed key (aws/s3)
        kms = settings.s3_kms_key_id if settings.s3_sse == "aws:kms" else None
        return cls(
            region=settings.aws_region,
            s3_region=settings.s3_region,
            bucket=settings.aws_s3_bucket,
            config_set=config_set,
            topic=topic,
            queue=queue,
            dlq=dlq,
            sender=sender,
            sender_domain=sender.rsplit("@", 1)[1].lower(),
            sse=settings.s3_sse,
            kms_key_id=kms,
            noncurrent_days=settings.s3_noncurrent_days,
        )


@dataclass(frozen=True)
class Account:
    """Who we are, from sts:GetCallerIdentity."""

    account_id: str
    arn: str

    @property
    def partition(self) -> str:
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 1 and parts[1] else "aws"


@dataclass(frozen=True)
class Arns:
    targets: Targets
    account: Account

    def arn(self, service: str, region: str, resource: str) -> str:
        account = self.account
        return f"arn:{account.partition}:{service}:{region}:{account.account_id}:{resource}"

    @property
    def bucket(self) -> str:
        return f"arn:{self.account.partition}:s3:::{self.targets.bucket}"

    @property
    def objects(self) -> str:
        return f"{self.bucket}/*"

    @property
    def topic(self) -> str:
        return self.arn("sns", self.targets.region, self.targets.topic)

    @property
    def queue(self) -> str:
        return self.arn("sqs", self.targets.region, self.targets.queue)

    @property
    def dlq(self) -> str:
        return self.arn("sqs", self.targets.region, self.targets.dlq)

    def identity(self, name: str) -> str:
        return self.arn("ses", self.targets.region, f"identity/{name}")

    @property
    def config_set(self) -> str:
        return self.arn("ses", self.targets.region, f"configuration-set/{self.targets.config_set}")
