"""Pydantic models for the MongoDB documents, field for field the guide's Mongoose
schemas (collections `emaillogs` and `files`), plus the additive fields of DESIGN.md.

Field names are the stored (camelCase) names so a document round-trips unchanged;
`id` maps to `_id` and `from_` to `from`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from bson import ObjectId
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from core.vocabulary import (
    SES_EVENT_NAMES,
    EmailCategory,
    EmailEventType,
    EmailPriority,
    EmailStatus,
    FileCategory,
    FileStatus,
    Role,
    SuppressionReason,
    event_kind,
    stored_event,
    stored_type,
)

EMAIL_COLLECTION = "emaillogs"
FILE_COLLECTION = "files"
SUPPRESSION_COLLECTION = "suppressions"
AUDIT_COLLECTION = "auditlog"
UNMATCHED_EVENT_COLLECTION = "unmatchedevents"
OPERATOR_COLLECTION = "operators"


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


# --- reading what the CRM's web app may have written --------------------------------
# Mongoose casts on the way in (a String path takes 42 as "42", a Number path "12" as
# 12), allows null in any path that is not required, keeps fractional numbers, and
# Mixed paths hold anything. The models read all of that rather than fail a page.


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _whole(value: Any) -> Any:
    """A count of bytes or downloads: Mongoose's Number may hold 1024.5; keep the
    nearest whole number (what can be shown and compared with S3's sizes)."""
    value = _number(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float) and abs(value) < 2**63:
        return round(value)
    return value


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _plain_text(value: Any) -> str:
    """Any stored value as text: lists and objects as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, default=str, separators=(",", ":"))
    return str(_text(value))


def _mixed_dict(value: Any) -> Any:
    """A Mixed path read as a mapping: anything else is kept under `value`."""
    if value is None or isinstance(value, dict):
        return value
    return {"value": value}


def _string_map(value: Any) -> Any:
    """`tags` (Mixed): {name: text}; other values are made text, a list of names
    becomes names with empty values."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _plain_text(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return {_plain_text(v): "" for v in value if v is not None}
    return {"value": _plain_text(value)}


def _texts(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return value


CastStr = Annotated[str, BeforeValidator(_text)]
CastFloat = Annotated[float, BeforeValidator(_number)]
CastInt = Annotated[int, BeforeValidator(_whole)]
CastStrList = Annotated[list[CastStr], BeforeValidator(_texts)]
MixedDict = Annotated[dict[str, Any] | None, BeforeValidator(_mixed_dict)]
StringMap = Annotated[dict[str, str] | None, BeforeValidator(_string_map)]


class _Stored(BaseModel):
    """A stored (sub)document: null in a path that has a default reads as the default
    (Mongoose allows null wherever a value is not required)."""

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        optional = {
            key
            for name, info in cls.model_fields.items()
            if not info.is_required()
            for key in (name, info.alias)
            if key
        }
        return {k: v for k, v in value.items() if v is not None or k not in optional}


class _Doc(_Stored):
    model_config = ConfigDict(populate_by_name=True, extra="allow", use_enum_values=False)
    # what could not be read from the stored document (read_stored), else None
    _problem: str | None = PrivateAttr(default=None)

    @property
    def problem(self) -> str | None:
        return self._problem

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


class EmailContent(_Stored):
    html: CastStr | None = None
    text: CastStr | None = None


class EmailEvent(_Stored):
    """One entry of a log's `events`. `metadata` keys by type (SES's field names):

    - send: {sesMessageId}
    - delivery: {recipients: [str], smtpResponse, processingTimeMillis, reportingMTA}
    - bounce: {bounceType: Permanent|Transient|Undetermined, bounceSubType, feedbackId,
      recipients: [{emailAddress, action, status, diagnosticCode}]}
    - complaint: {complaintFeedbackType, feedbackId, userAgent, recipients: [str]}
    - open: {ipAddress, userAgent};  click: {ipAddress, userAgent, link}
    - send of a failed send (SES refused the call): {error}
    and, stored as `send` with `sesEventType` naming them (the guide's six types only):
    - Reject: {reason};  Rendering Failure: {templateName, errorMessage}
    - DeliveryDelay: {delayType, expirationTime,
      recipients: [{emailAddress, status, diagnosticCode}]}
    - Subscription: {contactList, source}
    Events applied from SES carry `sesEventType` (SES's type name) whatever the type.
    """

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    type: EmailEventType
    timestamp: UtcDatetime = Field(default_factory=utcnow)
    metadata: MixedDict = None
    eventId: CastStr | None = None  # additive: SNS MessageId or body hash, for dedup

    @model_validator(mode="before")
    @classmethod
    def _guide_form(cls, value: Any) -> Any:
        return stored_event(value) if isinstance(value, dict) else value

    @classmethod
    def of(
        cls,
        kind: EmailEventType,
        timestamp: datetime,
        metadata: dict[str, Any],
        eventId: str | None = None,
    ) -> EmailEvent:
        """The stored entry of an SES event of `kind`: one of the six types, SES's name
        in `metadata.sesEventType`."""
        return cls(
            type=stored_type(kind),
            timestamp=timestamp,
            metadata={"sesEventType": SES_EVENT_NAMES[kind], **metadata},
            eventId=eventId,
        )

    @property
    def kind(self) -> EmailEventType:
        """What happened, precisely (a `send` noting a Reject is a reject)."""
        return event_kind(self.type.value, self.metadata) or self.type


class RecipientStatus(_Stored):
    email: str
    status: EmailStatus
    updatedAt: UtcDatetime = Field(default_factory=utcnow)
    diagnostic: str | None = None


class EmailLog(_Doc):
    id: PyObjectId | None = Field(None, alias="_id")
    messageId: CastStr
    to: CastStrList = Field(default_factory=list)
    from_: CastStr = Field(alias="from")
    subject: CastStr
    content: EmailContent = Field(default_factory=EmailContent)
    category: EmailCategory
    status: EmailStatus = EmailStatus.QUEUED
    priority: EmailPriority = EmailPriority.NORMAL
    events: list[EmailEvent] = Field(default_factory=list)
    userId: CastStr | None = None
    clientId: CastStr | None = None
    templateId: CastStr | None = None
    templateData: MixedDict = None
    cost: CastFloat = 0.0
    size: CastInt
    tags: StringMap = None
    customData: MixedDict = None
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


class FileMetadata(_Stored):
    model_config = ConfigDict(extra="allow")

    uploadedBy: CastStr
    ipAddress: CastStr | None = None
    userAgent: CastStr | None = None
    checksum: CastStr | None = None  # SHA-256, base64 (the S3 ChecksumSHA256 form)
    tags: CastStrList = Field(default_factory=list)


class S3Info(_Stored):
    bucket: CastStr
    region: CastStr
    etag: CastStr | None = None
    versionId: CastStr | None = None


class FileAccess(_Stored):
    downloadCount: CastInt = 0
    lastAccessed: UtcDatetime | None = None
    expiresAt: UtcDatetime | None = None


class FileRecord(_Doc):
    id: PyObjectId | None = Field(None, alias="_id")
    key: CastStr
    fileName: CastStr
    originalName: CastStr
    contentType: CastStr
    size: CastInt
    category: FileCategory
    status: FileStatus = FileStatus.UPLOADING
    isPublic: bool = False
    userId: CastStr
    clientId: CastStr | None = None
    departmentId: CastStr | None = None
    metadata: FileMetadata
    s3Info: S3Info
    access: FileAccess = Field(default_factory=FileAccess)
    createdAt: UtcDatetime = Field(default_factory=utcnow)
    updatedAt: UtcDatetime = Field(default_factory=utcnow)
    # additive (DESIGN.md)
    sse: str | None = None
    deletedAt: UtcDatetime | None = None
    deletedBy: str | None = None
    operator: str | None = None  # the login that uploaded it (userId is the CRM user)


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


# --- a stored document the models cannot read as it is -------------------------------

# Stand-ins for required fields that are missing or unreadable: shown, marked, never
# written back (the console updates stored documents field by field).
UNREADABLE = "(unreadable)"
_D = TypeVar("_D", bound=_Doc)
_STAND_INS: dict[type[_Doc], dict[str, Any]] = {
    EmailLog: {
        "messageId": UNREADABLE,
        "from": UNREADABLE,
        "subject": UNREADABLE,
        "category": EmailCategory.SYSTEM,
        "size": 0,
    },
    AuditEntry: {
        "operator": UNREADABLE,
        "host": UNREADABLE,
        "action": UNREADABLE,
        "target": UNREADABLE,
    },
    FileRecord: {
        "key": UNREADABLE,
        "fileName": UNREADABLE,
        "originalName": UNREADABLE,
        "contentType": "application/octet-stream",
        "size": 0,
        "category": FileCategory.GENERAL,
        "userId": UNREADABLE,
        "metadata": {"uploadedBy": UNREADABLE},
        "s3Info": {"bucket": UNREADABLE, "region": UNREADABLE},
    },
}


def _problem_text(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "document"
        parts.append(f"{where}: {error['msg'].lower()}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(parts) + more


def read_stored(model: type[_D], doc: dict[str, Any]) -> _D:
    """A stored document as `model`, whatever it holds: what the model cannot read is
    replaced by its default (or a stand-in, for a required field) and the record's
    `problem` says what (one line), so a list shows the row marked instead of failing."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        problem = _problem_text(exc)
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    patched = {k: v for k, v in doc.items() if k not in bad}
    for name, value in _STAND_INS.get(model, {}).items():
        patched.setdefault(name, value)
    try:
        record = model.model_validate(patched)
    except ValidationError:  # not even the stand-ins: only the id is kept
        record = model.model_validate(
            {**_STAND_INS.get(model, {}), "_id": doc.get("_id")}
            if isinstance(doc.get("_id"), ObjectId)
            else _STAND_INS.get(model, {})
        )
    record._problem = problem
    return record


class OperatorEntry(_Doc):
    """One member of staff in the admin-managed list: AWS identity -> role, CRM user."""

    id: PyObjectId | None = Field(None, alias="_id")
    arn: str
    name: str | None = None
    role: Role
    crmUserId: str | None = None
    addedAt: UtcDatetime = Field(default_factory=utcnow)
    addedBy: str
