"""Pydantic models of what Amazon SES publishes about a message it sent.

Two shapes exist, with the same objects inside:
- event publishing (configuration set -> SNS): `eventType` is one of Send, Delivery,
  Bounce, Complaint, Reject, Open, Click, Rendering Failure, DeliveryDelay, Subscription;
- identity notifications (the older feedback forwarding): `notificationType` is one of
  Bounce, Complaint, Delivery.

Field names are SES's (see "Contents of event data that Amazon SES publishes to Amazon
SNS" and "Amazon SNS notification contents for Amazon SES"). SES reserves the right to
add fields, so unknown fields are ignored everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from core.models import utcnow
from core.vocabulary import EmailEventType

EventShape = Literal["eventType", "notificationType"]

# SES opened in 2011: an event time before that, or more than a day ahead of this
# machine's clock, is not a time SES wrote (it would also outrank every real event).
EARLIEST_EVENT_TIME = datetime(2011, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
# BSON integers are 64-bit; SES's counters are small.
MAX_INT = 2**53


def _as_utc(value: datetime) -> datetime:
    """A time without a zone is UTC (SES writes `Z`); any other zone is converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


def _event_time(value: datetime) -> datetime:
    value = _as_utc(value)
    if value < EARLIEST_EVENT_TIME:
        raise ValueError(f"{value.date().isoformat()} is before SES existed")
    if value > utcnow() + CLOCK_SKEW:
        raise ValueError(f"{value.date().isoformat()} is in the future")
    return value


# When something happened (orders a recipient's rows): UTC, within SES's lifetime.
EventTime = Annotated[datetime, AfterValidator(_event_time)]
# Other times (a delay's expiry is in the future): UTC.
AnyTime = Annotated[datetime, AfterValidator(_as_utc)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


class _Ses(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class CommonHeaders(_Ses):
    from_: list[str] = Field(default_factory=list, alias="from")
    to: list[str] = Field(default_factory=list)
    subject: str | None = None
    messageId: str | None = None


class MailObject(_Ses):
    """`mail`: the message that produced the event."""

    messageId: str = Field(min_length=1)
    timestamp: EventTime | None = None
    source: str | None = None
    sourceArn: str | None = None
    sendingAccountId: str | None = None
    destination: list[str] = Field(default_factory=list)
    headersTruncated: bool | None = None
    commonHeaders: CommonHeaders | None = None
    tags: dict[str, list[str]] | None = None

    @field_validator("messageId")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("is empty")
        return value


class BouncedRecipient(_Ses):
    emailAddress: str
    action: str | None = None
    status: str | None = None
    diagnosticCode: str | None = None


class BounceObject(_Ses):
    bounceType: Literal["Permanent", "Transient", "Undetermined"]
    bounceSubType: str | None = None
    bouncedRecipients: list[BouncedRecipient] = Field(min_length=1)
    timestamp: EventTime | None = None
    feedbackId: str | None = None
    reportingMTA: str | None = None
    remoteMtaIp: str | None = None


class ComplainedRecipient(_Ses):
    emailAddress: str


class ComplaintObject(_Ses):
    complainedRecipients: list[ComplainedRecipient] = Field(min_length=1)
    timestamp: EventTime | None = None
    feedbackId: str | None = None
    complaintSubType: str | None = None
    userAgent: str | None = None
    complaintFeedbackType: str | None = None
    arrivalDate: AnyTime | None = None


class DeliveryObject(_Ses):
    timestamp: EventTime | None = None
    processingTimeMillis: Count | None = None
    recipients: list[str] = Field(min_length=1)
    smtpResponse: str | None = None
    reportingMTA: str | None = None
    remoteMtaIp: str | None = None


class SendObject(_Ses):
    """`send` is an empty object in every documented example."""


class RejectObject(_Ses):
    reason: str | None = None


class OpenObject(_Ses):
    timestamp: EventTime | None = None
    ipAddress: str | None = None
    userAgent: str | None = None


class ClickObject(_Ses):
    timestamp: EventTime | None = None
    ipAddress: str | None = None
    userAgent: str | None = None
    link: str | None = None
    linkTags: dict[str, list[str]] | None = None


class RenderingFailureObject(_Ses):
    templateName: str | None = None
    errorMessage: str | None = None


class DelayedRecipient(_Ses):
    emailAddress: str
    status: str | None = None
    diagnosticCode: str | None = None


class DeliveryDelayObject(_Ses):
    timestamp: EventTime | None = None
    delayType: str | None = None
    expirationTime: AnyTime | None = None
    delayedRecipients: list[DelayedRecipient] = Field(default_factory=list)
    reportingMTA: str | None = None


class SubscriptionObject(_Ses):
    contactList: str | None = None
    timestamp: EventTime | None = None
    source: str | None = None
    newTopicPreferences: dict[str, Any] | None = None
    oldTopicPreferences: dict[str, Any] | None = None


# The published type name -> our event type, and the body key holding its details.
EVENT_TYPES: dict[str, tuple[EmailEventType, str]] = {
    "Send": (EmailEventType.SEND, "send"),
    "Delivery": (EmailEventType.DELIVERY, "delivery"),
    "Bounce": (EmailEventType.BOUNCE, "bounce"),
    "Complaint": (EmailEventType.COMPLAINT, "complaint"),
    "Reject": (EmailEventType.REJECT, "reject"),
    "Open": (EmailEventType.OPEN, "open"),
    "Click": (EmailEventType.CLICK, "click"),
    "Rendering Failure": (EmailEventType.RENDERING_FAILURE, "failure"),
    "DeliveryDelay": (EmailEventType.DELIVERY_DELAY, "deliveryDelay"),
    "Subscription": (EmailEventType.SUBSCRIPTION, "subscription"),
}
# identity notifications only ever carry these three
NOTIFICATION_TYPES = ("Bounce", "Complaint", "Delivery")
# details objects SES sometimes leaves out (send is `{}`; reject/failure are optional)
OPTIONAL_DETAILS = {"send", "reject", "failure", "open", "click"}


class SesEvent(_Ses):
    """One SES event or notification, either shape."""

    eventType: str | None = None
    notificationType: str | None = None
    mail: MailObject
    bounce: BounceObject | None = None
    complaint: ComplaintObject | None = None
    delivery: DeliveryObject | None = None
    send: SendObject | None = None
    reject: RejectObject | None = None
    open: OpenObject | None = None
    click: ClickObject | None = None
    failure: RenderingFailureObject | None = None
    deliveryDelay: DeliveryDelayObject | None = None
    subscription: SubscriptionObject | None = None

    @property
    def shape(self) -> EventShape:
        return "eventType" if self.eventType is not None else "notificationType"

    @property
    def type_name(self) -> str:
        return self.eventType if self.eventType is not None else (self.notificationType or "")

    @property
    def type(self) -> EmailEventType:
        return EVENT_TYPES[self.type_name][0]

    @property
    def message_id(self) -> str:
        return self.mail.messageId

    @property
    def timestamp(self) -> datetime | None:
        """When it happened: the details' timestamp, else the mail's."""
        details = getattr(self, EVENT_TYPES[self.type_name][1], None)
        stamp = getattr(details, "timestamp", None)
        if isinstance(stamp, datetime):
            return stamp
        return self.mail.timestamp
