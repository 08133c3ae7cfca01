"""The embedded sandbox: a moto server on 127.0.0.1 (a random free port, real HTTP so
presigned URLs work from curl; its own process, see `core.sandbox_server`) and an
in-process store, provisioned like a real account and seeded with realistic data.
Nothing leaves this machine."""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the console checks the extra and prestarts before reading settings)
    from core.config import Settings
    from core.db import Store
    from core.sandbox_seed import SeedSummary

SANDBOX_BUCKET = "depllc-crm-files"
SANDBOX_FROM = "noreply@depllc.example"
SANDBOX_REPLY_TO = "support@depllc.example"
SANDBOX_CONFIG_SET = "depllc-crm-emails"
SANDBOX_TOPIC = "depllc-ses-events"
SANDBOX_QUEUE = "depllc-ses-events"

Progress = Callable[[str], None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Sandbox:
    settings: Settings
    endpoint_url: str
    store: Store
    # This process's own moto server; None for a lasting sandbox (`depllc sandbox up`),
    # whose server runs on its own and whose `release` saves the store and unlocks it.
    server: subprocess.Popen[bytes] | None
    seeded: SeedSummary | None = None
    release: Callable[[], None] | None = None

    def stop(self) -> None:
        """Stop the moto server (closing its stdin ends it at once), or hand a lasting
        sandbox back: its store saved to disk, its lock released."""
        if self.release is not None:
            self.release()
        elif self.server is not None:
            stop_server(self.server)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def spawn_server(port: int, detached: bool = False) -> subprocess.Popen[bytes]:
    """Start `core.sandbox_server` on 127.0.0.1:`port` (see that module); it serves
    until its stdin closes, or, `detached`, in its own session until it is sent SIGTERM
    (`depllc sandbox down`). Call `wait_ready` before the first request."""
    import core

    package_root = str(Path(core.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, path]))}
    return subprocess.Popen(
        [sys.executable, "-m", "core.sandbox_server", str(port), *(["--detached"] * detached)],
        stdin=subprocess.DEVNULL if detached else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=tempfile.TemporaryFile(),  # read only if it fails to start
        env=env,
        close_fds=True,
        start_new_session=detached,  # a closed terminal's SIGHUP does not reach it
    )


def wait_ready(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait for the server's `ready` line; a server that died says why."""
    from core.errors import ServiceError

    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline().decode(errors="replace").strip() if ready else ""
    if line.startswith("ready "):
        return
    stop_server(proc)
    detail = ""
    if proc.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            proc.stderr.seek(0)
            detail = proc.stderr.read().decode(errors="replace").strip().splitlines()[-1]
    raise ServiceError(
        f"The sandbox's local AWS server did not start{': ' + detail if detail else ''}.",
        "Check that moto is installed (`make run` installs it) and retry.",
    )


@contextlib.contextmanager
def local_moto_server() -> Iterator[str]:
    """A moto server in its own process for as long as the block runs (benchmarks and
    tools that need real HTTP); yields its endpoint URL."""
    port = _free_port()
    proc = spawn_server(port)
    try:
        wait_ready(proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


_prestarted: tuple[int, subprocess.Popen[bytes]] | None = None
_prestart_lock = threading.Lock()


SANDBOX_EXTRA = ("moto", "mongomock")


def require_sandbox_extra() -> None:
    """Refuse in one line, with the install to run, when the sandbox's packages (the
    `sandbox` extra: moto's server and mongomock) are not installed: a lean production
    install has only what a connected console needs."""
    import importlib.util

    missing = [name for name in SANDBOX_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        from core.errors import ConfigError

        raise ConfigError(
            f"The sandbox is not installed here ({', '.join(missing)} missing).",
            "Install it with `pip install 'depllc-console[sandbox]'`, or connect to a real "
            "account (MONGODB_URI, AWS_S3_BUCKET, AWS_SES_FROM_EMAIL: see the README).",
        )


def prestart_server() -> None:
    """Start the sandbox's server now for a `start_sandbox` that comes later: the TUI's
    startup worker calls this first, so moto loads on the other core while the worker
    imports what connecting needs. A server never taken is stopped at exit (and dies
    with this process)."""
    global _prestarted
    require_sandbox_extra()
    from core.sandbox_lasting import find_lasting

    if find_lasting() is not None:
        return  # `depllc sandbox up` runs one: the console attaches to it
    with _prestart_lock:
        if _prestarted is None:
            port = _free_port()
            _prestarted = (port, spawn_server(port))
            atexit.register(discard_prestarted)


def _take_prestarted() -> tuple[int, subprocess.Popen[bytes]] | None:
    global _prestarted
    with _prestart_lock:
        taken, _prestarted = _prestarted, None
    if taken is not None and taken[1].poll() is not None:
        return None  # it died: start another
    return taken


def discard_prestarted() -> None:
    """Stop a prestarted server nobody took (at exit; a console refused at startup)."""
    taken = _take_prestarted()
    if taken is not None:
        stop_server(taken[1])


def sandbox_settings(settings: Settings, store: Store, queue_url: str | None = None) -> Settings:
    """The settings a sandbox runs with: its sender, bucket, configuration set and store."""
    return settings.model_copy(
        update={
            "aws_region": settings.aws_region,
            "aws_s3_region": settings.aws_region,
            "aws_ses_from_email": SANDBOX_FROM,
            "aws_ses_reply_to": SANDBOX_REPLY_TO,
            "ses_configuration_set": SANDBOX_CONFIG_SET,
            "aws_s3_bucket": SANDBOX_BUCKET,
            "mongodb_uri": store.uri_label,
            "mongodb_db": store.db.name,
            "ses_max_send_rate": settings.ses_max_send_rate or 200.0,
            "ses_max_24h_send": settings.ses_max_24h_send or 50_000,
            "ses_events_queue_url": queue_url or settings.ses_events_queue_url,
            "sandbox": True,
        }
    )


def start_sandbox(
    settings: Settings, progress: Progress | None = None, seed: bool = True, detached: bool = False
) -> Sandbox:
    """Start, provision and (unless told not to) seed a fresh sandbox. The server
    starts in its own process while this one builds the seed data and its clients;
    `detached`, it outlives this process (`depllc sandbox up`)."""
    require_sandbox_extra()
    say = progress or (lambda _text: None)
    say("starting sandbox: local AWS (moto)…")
    taken = None if detached else _take_prestarted()
    if taken is not None:
        port, server = taken
    else:
        port = _free_port()
        server = spawn_server(port, detached=detached)
    endpoint = f"http://127.0.0.1:{port}"
    from core.db import connect

    try:
        store = connect(f"mongomock://sandbox-{uuid.uuid4().hex[:8]}", settings.database)
        box_settings = sandbox_settings(settings, store)
        sandbox = Sandbox(settings=box_settings, endpoint_url=endpoint, store=store, server=server)
        from core.aws import AwsClients
        from core.sandbox_seed import apply_seed, plan_seed

        plan = plan_seed(box_settings) if seed else None
        aws = AwsClients(box_settings, endpoint_url=endpoint, sandbox=True)
        for service in ("s3", "ses", "sqs", "sns"):
            aws.client(service)  # botocore loads its models while the server starts
        wait_ready(server)
        say("starting sandbox: provisioning bucket, SES, queue…")
        queue_url = provision(aws, box_settings)
        sandbox.settings = box_settings.model_copy(update={"ses_events_queue_url": queue_url})
        if plan is not None:
            say("starting sandbox: seeding logs and files…")
            sandbox.seeded = apply_seed(plan, store, aws, sandbox.settings, progress=say)
        # After the bulk insert: mongomock checks unique indexes document by document.
        store.ensure_indexes()
        # What `depllc setup` adds on a real account (queue policy, public access block,
        # lifecycle rule), by the same code: `depllc --sandbox doctor` passes.
        from core.setup.apply import apply_plan, build_plan, make_context

        # (Setup leaves out the TLS-only policy on a plain-HTTP endpoint like this one.)
        say("starting sandbox: bucket and queue policies…")
        apply_plan(build_plan(make_context(sandbox.settings, aws, store, write_config=False)))
    except BaseException:
        stop_server(server)
        raise
    return sandbox


def provision(aws: Any, settings: Settings) -> str:
    """Create what a real account has: verified sender, versioned encrypted bucket,
    SNS topic + SQS queue for SES events, a configuration set, templates.
    Returns the events queue URL."""
    bucket = settings.aws_s3_bucket
    assert bucket
    s3 = aws.s3
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    ses = aws.ses
    ses.verify_email_identity(EmailAddress=settings.from_email)
    if settings.aws_ses_reply_to:
        ses.verify_email_identity(EmailAddress=settings.aws_ses_reply_to)
    ses.verify_domain_identity(Domain=settings.from_email.split("@", 1)[1])
    sqs = aws.sqs
    dlq_url = sqs.create_queue(QueueName=f"{SANDBOX_QUEUE}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    import json

    queue_url: str = sqs.create_queue(
        QueueName=SANDBOX_QUEUE,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic_arn = aws.sns.create_topic(Name=SANDBOX_TOPIC)["TopicArn"]
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    ses.create_configuration_set(ConfigurationSet={"Name": settings.ses_configuration_set})
    ses.create_configuration_set_event_destination(
        ConfigurationSetName=settings.ses_configuration_set,
        EventDestination={
            "Name": "sns-events",
            "Enabled": True,
            "MatchingEventTypes": [
                "send",
                "reject",
                "bounce",
                "complaint",
                "delivery",
                "open",
                "click",
                "renderingFailure",
                "deliveryDelay",
                "subscription",
            ],
            "SNSDestination": {"TopicARN": topic_arn},
        },
    )
    for template in SANDBOX_TEMPLATES:
        ses.create_template(Template=template)
    return queue_url


SANDBOX_TEMPLATES: list[dict[str, str]] = [
    {
        "TemplateName": "invoice-reminder",
        "SubjectPart": "Invoice {{invoice}} is due on {{due}}",
        "TextPart": "Hello {{name}},\n\nInvoice {{invoice}} for {{amount}} is due on {{due}}.\n"
        "Reply to this message with any question.\n\nDepLLC billing",
        "HtmlPart": "<p>Hello {{name}},</p><p>Invoice <b>{{invoice}}</b> for {{amount}} is due "
        "on {{due}}.</p><p>DepLLC billing</p>",
    },
    {
        "TemplateName": "welcome-client",
        "SubjectPart": "Welcome to DepLLC, {{name}}",
        "TextPart": "Hello {{name}},\n\nYour client portal is ready: {{portal_url}}\n",
        "HtmlPart": "<p>Hello {{name}},</p><p>Your client portal is ready: "
        '<a href="{{portal_url}}">{{portal_url}}</a></p>',
    },
    {
        "TemplateName": "contract-ready",
        "SubjectPart": "Your contract {{contract}} is ready to sign",
        "TextPart": "Hello {{name}},\n\nContract {{contract}} is ready. Sign by {{deadline}}.\n",
        "HtmlPart": "<p>Hello {{name}},</p><p>Contract <b>{{contract}}</b> is ready. Sign by "
        "{{deadline}}.</p>",
    },
]
