"""The SES mailbox simulator, for the sandbox: when a message goes to
success@, bounce@, complaint@, ooto@ or suppressionlist@simulator.amazonses.com
(`+label` sub-addresses too), publish the events real SES would publish, in the
documented shapes, to the sandbox's SNS topic, so they arrive on the events queue in an
SNS envelope exactly as in production. (moto's own feedback bodies are placeholders.)
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.models import EmailLog, utcnow

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SIMULATOR_DOMAIN = "simulator.amazonses.com"
ACCOUNT_ID = "123456789012"  # moto's default account
SCENARIOS = ("success", "bounce", "complaint", "ooto", "suppressionlist")

BOUNCE_DIAGNOSTIC = "smtp; 550 5.1.1 user unknown"
SUPPRESSED_DIAGNOSTIC = (
    "Amazon SES has suppressed sending to this address because it has a recent history of "
    "bouncing as an invalid address. For more information about how to remove an address "
    "from the suppression list, see the Amazon SES Developer Guide: "
    "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html "
)


def scenario_of(address: str) -> str | None:
    """`bounce` for bounce+x@simulator.amazonses.com; None for other addresses."""
    local, _, domain = address.strip().lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    name = local.split("+", 1)[0]
    return name if name in SCENARIOS else None


def _utc_iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _feedback_id(moment: datetime) -> str:
    return f"{int(moment.timestamp() * 1000):016x}-{uuid.uuid4()}-000000"


class MailboxSimulator:
    """Builds and publishes simulator events for logs the sandbox sent."""

    def __init__(
        self,
        sns: Any,
        topic_arn: str,
        region: str = "us-east-1",
        configuration_set: str | None = None,
        operator: str = "operator",
    ) -> None:
        self.sns = sns
        self.topic_arn = topic_arn
        self.region = region
        self.configuration_set = configuration_set
        self.operator = operator

    # --- building -----------------------------------------------------------

    def mail_object(self, log_: EmailLog, sent_at: datetime) -> dict[str, Any]:
        source = log_.from_
        domain = source.rpartition("@")[2].rstrip(">") or "depllc.example"
        destination = log_.all_recipients
        tags: dict[str, list[str]] = {
            "ses:operation": ["SendEmail"],
            "ses:source-ip": ["127.0.0.1"],
            "ses:from-domain": [domain],
            "ses:caller-identity": [self.operator],
        }
        if self.configuration_set:
            tags["ses:configuration-set"] = [self.configuration_set]
        headers = [
            {"name": "From", "value": source},
            {"name": "To", "value": ", ".join(log_.to)},
            {"name": "Subject", "value": log_.subject},
            {"name": "MIME-Version", "value": "1.0"},
            {"name": "Content-Type", "value": "multipart/alternative"},
        ]
        return {
            "timestamp": _utc_iso(sent_at),
            "source": source,
            "sourceArn": f"arn:aws:ses:{self.region}:{ACCOUNT_ID}:identity/{domain}",
            "sourceIp": "127.0.0.1",
            "sendingAccountId": ACCOUNT_ID,
            "callerIdentity": self.operator,
            "messageId": log_.messageId,
            "destination": destination,
            "headersTruncated": False,
            "headers": headers,
            "commonHeaders": {
                "from": [source],
                "to": list(log_.to),
                "messageId": log_.messageId,
                "subject": log_.subject,
            },
            "tags": tags,
        }

    def events_for(self, log_: EmailLog, now: datetime | None = None) -> list[dict[str, Any]]:
        """The SES events (event-publishing shape) this message produces, in order."""
        targets = [(r, scenario_of(r)) for r in log_.all_recipients]
        targets = [(r, s) for r, s in targets if s is not None]
        if not targets:
            return []
        sent_at = now or utcnow()
        mail = self.mail_object(log_, sent_at)
        events: list[dict[str, Any]] = [{"eventType": "Send", "mail": mail, "send": {}}]
        mta = f"a8-{len(log_.messageId) % 90 + 10}.smtp-out.{self.region}.amazonses.com"
        for offset, (address, scenario) in enumerate(targets):
            delivered_at = sent_at + timedelta(milliseconds=780 + 137 * offset)
            delivery = {
                "eventType": "Delivery",
                "mail": mail,
                "delivery": {
                    "timestamp": _utc_iso(delivered_at),
                    "processingTimeMillis": int((delivered_at - sent_at).total_seconds() * 1000),
                    "recipients": [address],
                    "smtpResponse": "250 2.6.0 Message received",
                    "reportingMTA": mta,
                    "remoteMtaIp": "205.251.242.49",
                },
            }
            if scenario in ("success", "ooto"):
                events.append(delivery)
            elif scenario in ("bounce", "suppressionlist"):
                suppressed = scenario == "suppressionlist"
                events.append(
                    {
                        "eventType": "Bounce",
                        "mail": mail,
                        "bounce": {
                            "bounceType": "Permanent",
                            "bounceSubType": "Suppressed" if suppressed else "General",
                            "bouncedRecipients": [
                                {
                                    "emailAddress": address,
                                    "action": "failed",
                                    "status": "5.1.1",
                                    "diagnosticCode": SUPPRESSED_DIAGNOSTIC
                                    if suppressed
                                    else BOUNCE_DIAGNOSTIC,
                                }
                            ],
                            "timestamp": _utc_iso(delivered_at),
                            "feedbackId": _feedback_id(delivered_at),
                            "reportingMTA": "dns; amazonses.com" if suppressed else f"dsn; {mta}",
                            **({} if suppressed else {"remoteMtaIp": "205.251.242.49"}),
                        },
                    }
                )
            elif scenario == "complaint":
                complained_at = delivered_at + timedelta(seconds=2)
                events.append(delivery)
                events.append(
                    {
                        "eventType": "Complaint",
                        "mail": mail,
                        "complaint": {
                            "feedbackId": _feedback_id(complained_at),
                            "complaintSubType": None,
                            "complainedRecipients": [{"emailAddress": address}],
                            "timestamp": _utc_iso(complained_at),
                            "userAgent": "Amazon SES Mailbox Simulator",
                            "complaintFeedbackType": "abuse",
                            "arrivalDate": _utc_iso(delivered_at),
                        },
                    }
                )
        return events

    # --- publishing ---------------------------------------------------------

    def publish(self, events: list[dict[str, Any]]) -> int:
        for event in events:
            self.sns.publish(TopicArn=self.topic_arn, Message=json.dumps(event))
        return len(events)

    def on_sent(self, log_: EmailLog) -> None:
        """The sent hook: never lets a simulator problem fail the send."""
        try:
            self.publish(self.events_for(log_))
        except Exception:
            log.exception("mailbox simulator could not publish events for %s", log_.messageId)


def register(runtime: Runtime) -> MailboxSimulator:
    """Add the simulator to the runtime's sent hooks (sandbox only)."""
    from core.sandbox import SANDBOX_TOPIC

    sns = runtime.aws.sns
    topic_arn: str = sns.create_topic(Name=SANDBOX_TOPIC)["TopicArn"]  # idempotent
    simulator = MailboxSimulator(
        sns,
        topic_arn,
        region=runtime.settings.aws_region,
        configuration_set=runtime.settings.ses_configuration_set,
        operator=runtime.operator,
    )
    runtime.sent_hooks.append(simulator.on_sent)
    return simulator
