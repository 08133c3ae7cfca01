"""Pydantic models for the MongoDB documents, field for field the guide's Mongoose
schemas (collections `emaillogs` and `files`), plus the additive fields of DESIGN.md.

Field names are the stored (camelCase) names so a document round-trips unchanged;
`id` maps to `_id` and `from_` to `from`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from bson import ObjectId
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
)

EMAIL_COLLECTION = "emaillogs"
FILE_COLLECTION = "files"
SUPPRESSION_COLLECTION = "suppressions"
AUDIT_COLLECTION = "auditlog"
UNMATCHED_EVENT_COLLECTION = "unmatchedevents"


def utcnow() -> datetime:
    """Now, timezone-aware UTC, truncated to milliseconds as MongoDB stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _to_object_id(value: Any) -> ObjectId:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and ObjectId.is_valid(value):
        return ObjectId(value)
    raise ValueError(f"not an ObjectId: {value!r}")


def _as_utc(value: Any) -> Any:
    # pymongo returns naive datetimes (UTC) unless tz_aware; normalise to aware UTC.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


PyObjectId = Annotated[
    ObjectId,
    PlainValidator(_to_object_id),
    PlainSerializer(str, return_type=str, when_used="json"),
]
UtcDatetime = Annotated[datetime, BeforeValidator(_as_utc)]


class EmailCategory(StrEnum):
    AUTH = "auth"
    NOTIFICATION = "notification"
    MARKETING = "marketing"
    SYSTEM = "system"
    CLIENT_PORTAL = "client-portal"


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINT = "complaint"
    FAILED = "failed"


# DESIGN.md: queued < sent < delivered < bounced < complaint; the worst outcome wins.
STATUS_RANK: dict[EmailStatus, int] = {
    EmailStatus.QUEUED: 0,
    EmailStatus.SENT: 1,
    EmailStatus.DELIVERED: 2,
    EmailStatus.BOUNCED: 3,
    EmailStatus.COMPLAINT: 4,
    EmailStatus.FAILED: 5,
}


def worst_status(statuses: list[EmailStatus]) -> EmailStatus:
    """The derived status of a message from its recipients' statuses."""
    return max(statuses, key=STATUS_RANK.__getitem__, default=EmailStatus.QUEUED)


class EmailPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class EmailEventType(StrEnum):
    # The guide's six values first; the rest are additive (SES publishes them too).
    SEND = "send"
    DELIVERY = "delivery"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    OPEN = "open"
    CLICK = "click"
    REJECT = "reject"
    DELIVERY_DELAY = "deliveryDelay"
    RENDERING_FAILURE = "renderingFailure"
    SUBSCRIPTION = "subscription"


class FileCategory(StrEnum):
    EMAIL = "email"
    DOCUMENT = "document"
    AVATAR = "avatar"
    CONTRACT = "contract"
    INVOICE = "invoice"
    BACKUP = "backup"
    GENERAL = "general"


class FileStatus(StrEnum):
    UPLOADING = "uploading"
    COMPLETED = "completed"
    FAILED = "failed"
    DELETED = "deleted"


class SuppressionReason(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    MANUAL = "manual"


class _Doc(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow", use_enum_values=False)

    def to_mongo(self) -> dict[str, Any]:
        """The stored document: aliases, enums as strings, no unset `_id`."""
        doc: dict[str, Any] = _plain(
            self.model_dump(by_alias=True, mode="python", exclude_none=True)
        )
        return doc


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class EmailContent(BaseModel):
    html: str | None = None
    text: str | None = None


class EmailEvent(BaseModel):
    """One entry of a log's `events`. `metadata` keys by type (SES's field names):

    - send: {sesMessageId}
    - delivery: {recipients: [str], smtpResponse, processingTimeMillis, reportingMTA}
    - bounce: {bounceType: Permanent|Transient|Undetermined, bounceSubType, feedbackId,
      recipients: [{emailAddress, action, status, diagnosticCode}]}
    - complaint: {complaintFeedbackType, feedbackId, userAgent, recipients: [str]}
    - open: {ipAddress, userAgent};  click: {ipAddress, userAgent, link}
    - reject: {reason};  renderingFailure: {templateName, errorMessage}
    - deliveryDelay: {delayType, expirationTime,
      recipients: [{emailAddress, status, diagnosticCode}]}
    """

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    type: EmailEventType
    timestamp: UtcDatetime = Field(default_factory=utcnow)
    metadata: dict[str, Any] | None = None
    eventId: str | None = None  # additive: SNS MessageId or body hash, for dedup


class RecipientStatus(BaseModel):
    email: str
    status: EmailStatus
    updatedAt: UtcDatetime = Field(default_factory=utcnow)
    diagnostic: str | None = None


class EmailLog(_Doc):
    id: PyObjectId | None = Field(None, alias="_id")
    messageId: str
    to: list[str]
    from_: str = Field(alias="from")
    subject: str
    content: EmailContent = Field(default_factory=EmailContent)
    category: EmailCategory
    status: EmailStatus = EmailStatus.QUEUED
    priority: EmailPriority = EmailPriority.NORMAL
    events: list[EmailEvent] = Field(default_factory=list)
    userId: str | None = None
    clientId: str | None = None
    templateId: str | None = None
    templateData: dict[str, Any] | None = None
    cost: float = 0.0
    size: int
    tags: dict[str, str] | None = None
    customData: dict[str, Any] | None = None
    createdAt: UtcDatetime = Field(default_factory=utcnow)
    updatedAt: UtcDatetime = Field(default_factory=utcnow)
    # additive (DESIGN.md)
    cc: list[str] | None = None
    bcc: list[str] | None = None
    replyTo: list[str] | None = None
    recipientStatus: list[RecipientStatus] = Field(default_factory=list)
    error: str | None = None
    operator: str | None = None
    attachments: list[dict[str, Any]] | None = None

    @property
    def all_recipients(self) -> list[str]:
        return [*self.to, *(self.cc or []), *(self.bcc or [])]


class FileMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    uploadedBy: str
    ipAddress: str | None = None
    userAgent: str | None = None
    checksum: str | None = None  # SHA-256, base64 (the S3 ChecksumSHA256 form)
    tags: list[str] = Field(default_factory=list)


class S3Info(BaseModel):
    bucket: str
    region: str
    etag: str | None = None
    versionId: str | None = None


class FileAccess(BaseModel):
    downloadCount: int = 0
    lastAccessed: UtcDatetime | None = None
    expiresAt: UtcDatetime | None = None


class FileRecord(_Doc):
    id: PyObjectId | None = Field(None, alias="_id")
    key: str
    fileName: str
    originalName: str
    contentType: str
    size: int
    category: FileCategory
    status: FileStatus = FileStatus.UPLOADING
    isPublic: bool = False
    userId: str
    clientId: str | None = None
    departmentId: str | None = None
    metadata: FileMetadata
    s3Info: S3Info
    access: FileAccess = Field(default_factory=FileAccess)
    createdAt: UtcDatetime = Field(default_factory=utcnow)
    updatedAt: UtcDatetime = Field(default_factory=utcnow)
    # additive (DESIGN.md)
    sse: str | None = None
    deletedAt: UtcDatetime | None = None
    deletedBy: str | None = None


class Suppression(_Doc):
    id: PyObjectId | None = Field(None, alias="_id")
    email: str
    reason: SuppressionReason
    messageId: str | None = None
    at: UtcDatetime = Field(default_factory=utcnow)
    by: str | None = None
    diagnostic: str | None = None


class AuditEntry(_Doc):
    id: PyObjectId | None = Field(None, alias="_id")
    at: UtcDatetime = Field(default_factory=utcnow)
    operator: str
    host: str
    action: str
    target: str
    details: dict[str, Any] = Field(default_factory=dict)
