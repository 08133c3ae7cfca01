"""The embedded sandbox: a moto server on 127.0.0.1 (a random free port, real HTTP so
presigned URLs work from curl) and an in-process store, provisioned like a real
account and seeded with realistic data. Nothing leaves this machine."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.config import Settings
from core.db import Store, connect

if TYPE_CHECKING:
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
    server: Any
    seeded: SeedSummary | None = None

    def stop(self) -> None:
        """Stop the moto server at once: its loop polls every 0.5 s, so wake it with
        connections until it has seen the shutdown request."""
        stopper = threading.Thread(target=self.server.stop, daemon=True)
        stopper.start()
        address = self.endpoint_url.removeprefix("http://").rsplit(":", 1)
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((address[0], int(address[1])), timeout=0.2).close()
            stopper.join(0.02)


def start_sandbox(
    settings: Settings, progress: Progress | None = None, seed: bool = True
) -> Sandbox:
    """Start, provision and (unless told not to) seed a fresh sandbox."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request lines on the TUI
    say = progress or (lambda _text: None)
    say("starting sandbox: local AWS (moto)…")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    _reset_backends(endpoint)
    store = connect(f"mongomock://sandbox-{uuid.uuid4().hex[:8]}", settings.mongodb_db)
    sandbox_settings = settings.model_copy(
        update={
            "aws_region": settings.aws_region,
            "aws_s3_region": settings.aws_region,
            "aws_ses_from_email": SANDBOX_FROM,
            "aws_ses_reply_to": SANDBOX_REPLY_TO,
            "ses_configuration_set": SANDBOX_CONFIG_SET,
            "aws_s3_bucket": SANDBOX_BUCKET,
            "mongodb_uri": store.uri_label,
            "ses_max_send_rate": settings.ses_max_send_rate or 200.0,
            "ses_max_24h_send": settings.ses_max_24h_send or 50_000,
            "sandbox": True,
        }
    )
    sandbox = Sandbox(settings=sandbox_settings, endpoint_url=endpoint, store=store, server=server)
    try:
        from core.aws import AwsClients

        aws = AwsClients(sandbox_settings, endpoint_url=endpoint, sandbox=True)
        say("starting sandbox: provisioning bucket, SES, queue…")
        queue_url = provision(aws, sandbox_settings)
        sandbox.settings = sandbox_settings.model_copy(update={"ses_events_queue_url": queue_url})
        if seed:
            from core.sandbox_seed import seed_all

            say("starting sandbox: seeding logs and files…")
            sandbox.seeded = seed_all(store, aws, sandbox.settings, progress=say)
        # After the bulk insert: mongomock checks unique indexes document by document.
        store.ensure_indexes()
    except BaseException:
        sandbox.stop()
        raise
    return sandbox


def _reset_backends(endpoint: str) -> None:
    """moto keeps its accounts per process: a second sandbox in the same process (tests)
    starts from an empty account, not from the last one's leftovers."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


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
