"""Realistic SES event bodies, built from the field lists of the AWS documentation
("Contents of event data that Amazon SES publishes to Amazon SNS" and "Amazon SNS
notification contents for Amazon SES"), with the extra fields SES adds (ignored)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from core.models import EmailLog, RecipientStatus
from core.vocabulary import EmailCategory, EmailStatus

SENDER = "DepLLC Billing <noreply@depllc.example>"
T0 = datetime(2026, 11, 20, 9, 30, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def ses_message_id() -> str:
    return f"0100019{uuid.uuid4().hex[:9]}-{uuid.uuid4()}-000000"


def mail(message_id: str, destination: list[str], at: datetime = T0) -> dict[str, Any]:
    return {
        "timestamp": iso(at),
        "source": SENDER,
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/depllc.example",
        "sourceIp": "203.0.113.7",
        "sendingAccountId": "123456789012",
        "callerIdentity": "depllc-console",
        "messageId": message_id,
        "destination": destination,
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": SENDER},
            {"name": "To", "value": ", ".join(destination)},
            {"name": "Subject", "value": "Invoice INV-2026-118 is due"},
            {"name": "MIME-Version", "value": "1.0"},
            {"name": "Content-Type", "value": 'multipart/mixed; boundary="b1"'},
        ],
        "commonHeaders": {
            "from": [SENDER],
            "to": destination,
            "messageId": message_id,
            "subject": "Invoice INV-2026-118 is due",
        },
        "tags": {
            "ses:configuration-set": ["depllc-crm-emails"],
            "ses:source-ip": ["203.0.113.7"],
            "ses:from-domain": ["depllc.example"],
            "ses:caller-identity": ["depllc-console"],
            "category": ["notification"],
        },
    }


def send(mid: str, to: list[str], at: datetime = T0) -> dict[str, Any]:
    return {"eventType": "Send", "mail": mail(mid, to, at), "send": {}}


def delivery(mid: str, to: list[str], rcpt: list[str], at: datetime, shape: str = "eventType"):
    return {
        shape: "Delivery",
        "mail": mail(mid, to),
        "delivery": {
            "timestamp": iso(at),
            "processingTimeMillis": 1431,
            "recipients": rcpt,
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
            "remoteMtaIp": "198.51.100.25",
        },
    }


def bounce(
    mid: str,
    to: list[str],
    rcpt: list[str],
    at: datetime,
    kind: str = "Permanent",
    sub: str = "General",
    shape: str = "eventType",
    diagnostic: str = "smtp; 550 5.1.1 user unknown",
) -> dict[str, Any]:
    return {
        shape: "Bounce",
        "mail": mail(mid, to),
        "bounce": {
            "bounceType": kind,
            "bounceSubType": sub,
            "bouncedRecipients": [
                {
                    "emailAddress": r,
                    "action": "failed" if kind == "Permanent" else "delayed",
                    "status": "5.1.1" if kind == "Permanent" else "4.2.2",
                    "diagnosticCode": diagnostic,
                }
                for r in rcpt
            ],
            "timestamp": iso(at),
            "feedbackId": f"0100019{uuid.uuid4().hex[:9]}-{uuid.uuid4()}-000000",
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            "remoteMtaIp": "198.51.100.25",
        },
    }


def complaint(mid: str, to: list[str], rcpt: list[str], at: datetime, shape: str = "eventType"):
    return {
        shape: "Complaint",
        "mail": mail(mid, to),
        "complaint": {
            "feedbackId": f"0100019{uuid.uuid4().hex[:9]}-{uuid.uuid4()}-000000",
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": r} for r in rcpt],
            "timestamp": iso(at),
            "userAgent": "Yahoo!-Mail-Feedback/2.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": iso(at - timedelta(minutes=5)),
        },
    }


def reject(mid: str, to: list[str], at: datetime = T0) -> dict[str, Any]:
    return {"eventType": "Reject", "mail": mail(mid, to, at), "reject": {"reason": "Bad content"}}


def opened(mid: str, to: list[str], at: datetime) -> dict[str, Any]:
    return {
        "eventType": "Open",
        "mail": mail(mid, to),
        "open": {
            "ipAddress": "192.0.2.1",
            "timestamp": iso(at),
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)",
        },
    }


def click(mid: str, to: list[str], at: datetime) -> dict[str, Any]:
    return {
        "eventType": "Click",
        "mail": mail(mid, to),
        "click": {
            "ipAddress": "192.0.2.1",
            "link": "https://portal.depllc.example/invoices/INV-2026-118",
            "linkTags": {"samplekey0": ["samplevalue0"]},
            "timestamp": iso(at),
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        },
    }


def rendering_failure(mid: str, to: list[str], at: datetime = T0) -> dict[str, Any]:
    return {
        "eventType": "Rendering Failure",
        "mail": mail(mid, to, at),
        "failure": {
            "errorMessage": "Attribute 'invoice' is not present in the rendering data.",
            "templateName": "invoice-reminder",
        },
    }


def delay(mid: str, to: list[str], rcpt: list[str], at: datetime) -> dict[str, Any]:
    return {
        "eventType": "DeliveryDelay",
        "mail": mail(mid, to),
        "deliveryDelay": {
            "timestamp": iso(at),
            "delayType": "TransientCommunicationFailure",
            "expirationTime": iso(at + timedelta(hours=14)),
            "delayedRecipients": [
                {
                    "emailAddress": r,
                    "status": "4.4.1",
                    "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host",
                }
                for r in rcpt
            ],
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
        },
    }


def subscription(mid: str, to: list[str], at: datetime) -> dict[str, Any]:
    return {
        "eventType": "Subscription",
        "mail": mail(mid, to),
        "subscription": {
            "contactList": "depllc-clients",
            "timestamp": iso(at),
            "source": "UnsubscribeHeader",
            "newTopicPreferences": {
                "unsubscribeAll": True,
                "topicSubscriptionStatus": [
                    {"topicName": "invoices", "subscriptionStatus": "OptOut"}
                ],
            },
            "oldTopicPreferences": {
                "unsubscribeAll": False,
                "topicSubscriptionStatus": [
                    {"topicName": "invoices", "subscriptionStatus": "OptIn"}
                ],
            },
        },
    }


def envelope(event: dict[str, Any], message_id: str | None = None) -> str:
    """The SNS envelope SQS receives (Message is a JSON string)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:depllc-ses-events",
            "Subject": "Amazon SES Email Event Notification",
            "Message": json.dumps(event),
            "Timestamp": iso(T0),
            "SignatureVersion": "1",
            "Signature": "EXAMPLEpH+..",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        }
    )


def make_log(
    message_id: str,
    to: list[str],
    cc: list[str] | None = None,
    status: EmailStatus = EmailStatus.SENT,
    created: datetime | None = None,
) -> dict[str, Any]:
    everyone = [*to, *(cc or [])]
    return EmailLog(
        _id=ObjectId(),
        messageId=message_id,
        to=to,
        cc=cc,
        **{"from": SENDER},
        subject="Invoice INV-2026-118 is due",
        category=EmailCategory.NOTIFICATION,
        status=status,
        size=18_204,
        recipientStatus=[RecipientStatus(email=r, status=status, updatedAt=T0) for r in everyone],
        createdAt=created or T0,
        updatedAt=created or T0,
    ).to_mongo()
