"""Request schemas and the guide's limits (EMAIL_CONSTANTS, FILE_CONSTANTS).

Each schema rejects bad input with a message a person can act on; front ends turn
the pydantic error into one line with `core.errors.describe`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.vocabulary import EmailCategory, EmailPriority, EmailStatus, FileCategory, FileStatus


class EMAIL_CONSTANTS:
    SUBJECT_MIN_LENGTH: Final = 1
    SUBJECT_MAX_LENGTH: Final = 200
    CONTENT_MAX_LENGTH: Final = 50_000
    RECIPIENTS_MAX_COUNT: Final = 100
    ATTACHMENT_MAX_SIZE: Final = 25 * 1024 * 1024  # 25 MB in all
    ATTACHMENT_MAX_COUNT: Final = 10
    SES_MAX_RECIPIENTS_PER_MESSAGE: Final = 50
    CATEGORIES: Final = tuple(c.value for c in EmailCategory)
    PRIORITIES: Final = tuple(p.value for p in EmailPriority)
    STATUSES: Final = tuple(s.value for s in EmailStatus)


class FILE_CONSTANTS:
    FILENAME_MAX_LENGTH: Final = 255
    MAX_SIZE: Final = 100 * 1024 * 1024  # 100 MB (a setting: FILE_MAX_SIZE)
    DEFAULT_UPLOAD_URL_MAX: Final = 10 * 1024 * 1024
    CATEGORIES: Final = tuple(c.value for c in FileCategory)
    STATUSES: Final = tuple(s.value for s in FileStatus)
    ALLOWED_TYPES: Final = (
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/plain",
        "text/csv",
    )


_CRLF = re.compile(r"[\r\n]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Invisible characters that change the direction text is shown in: with U+202E,
# `Invoice_2026_<U+202E>fdp.bat` reads as `Invoice_2026_tab.pdf`.
BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Names never accepted, whatever the bytes look like (a `.bat` holding plain text is
# still a batch script to Windows): programs and scripts that run when opened, Office
# documents with macros, and markup that runs script in a browser or mail client.
_REFUSED: Final = {
    "a Windows program or script": (
        ".bat .cmd .com .exe .scr .pif .cpl .msi .msp .mst .msc .dll .ps1 .psm1 .psd1 "
        ".ps1xml .psc1 .vb .vbs .vbe .js .jse .wsf .wsh .wsc .sct .hta .chm .jar .lnk "
        ".reg .inf .scf .url .application .gadget .appx .msix .appref-ms .settingcontent-ms"
    ),
    "a Unix or macOS program or script": (
        ".sh .bash .zsh .csh .ksh .command .tool .app .pkg .run .desktop"
    ),
    "a script": ".py .pyw .pl .rb .php .phtml .asp .aspx .jsp .cgi",
    "an Office document with macros": ".docm .dotm .xlsm .xltm .xlam .pptm .potm .ppam .ppsm .sldm",
    "markup that can run script": (
        ".html .htm .xhtml .xht .shtml .mht .mhtml .svg .svgz .xml .xsl .xslt"
    ),
}
REFUSED_EXTENSIONS: Final = {ext: what for what, exts in _REFUSED.items() for ext in exts.split()}


def extension(name: str) -> str:
    """The extension Windows acts on (lower case): trailing dots and spaces are dropped,
    so `run.bat.` is a `.bat`."""
    stem = name.rstrip(" .")
    return "." + stem.rsplit(".", 1)[1].lower() if "." in stem else ""


# Not in a header: C0 controls but tab, DEL, C1 (NEL), line/paragraph separators
# (email's folding and Python's splitlines break lines there). Lone surrogates never
# get this far: pydantic refuses them as strings.
_NOT_IN_HEADER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def check_header(value: str, field: str) -> str:
    """Header fields are one line of text: no CR/LF (header injection), no other line
    breaks or control characters (refused, not silently changed: what is sent is
    what was typed)."""
    if _CRLF.search(value):
        raise ValueError(f"{field} must be one line (no line breaks)")
    bad = _NOT_IN_HEADER.search(value)
    if bad:
        raise ValueError(
            f"holds U+{ord(bad.group()):04X}, a control character or line separator; remove it"
        )
    return value


def normalize_email(address: str) -> str:
    """Validate one address (IDN-aware) and return its normalised form."""
    from email_validator import EmailNotValidError, validate_email

    address = address.strip()
    if _CRLF.search(address):
        raise ValueError(f"{address!r} holds a line break")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{address!r} is not a valid address: {exc}") from None


def check_file_name(name: str) -> str:
    """The guide's rule (no `..`) and more: no path parts, no control or text-direction
    characters, no refused extension (REFUSED_EXTENSIONS)."""
    if not name or not name.strip():
        raise ValueError("file name is empty")
    if len(name) > FILE_CONSTANTS.FILENAME_MAX_LENGTH:
        raise ValueError(
            f"file name is {len(name)} characters; at most {FILE_CONSTANTS.FILENAME_MAX_LENGTH}"
        )
    if "/" in name or "\\" in name:
        raise ValueError("file name may not contain / or \\ (path parts)")
    if ".." in name:
        raise ValueError("file name may not contain '..'")
    bidi = sorted({f"U+{ord(c):04X}" for c in name if c in BIDI_CONTROLS})
    if bidi:
        raise ValueError(
            f"file name holds an invisible text-direction character ({', '.join(bidi)}) that "
            "can disguise its real extension"
        )
    if _CONTROL.search(name) or any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in name):
        raise ValueError("file name may not contain control characters")
    ext = extension(name)
    if ext in REFUSED_EXTENSIONS:
        raise ValueError(
            f"{ext} files ({REFUSED_EXTENSIONS[ext]}) are never accepted: they can run "
            "when opened; send a PDF, or a .txt if it is plain text"
        )
    return name


def safe_file_name(name: str) -> str:
    """The guide's sanitised name: anything but letters, digits, `.` and `-` becomes `_`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^a-zA-Z0-9.\-]", "_", base).lstrip(".")
    return cleaned[: FILE_CONSTANTS.FILENAME_MAX_LENGTH] or "file"


class AttachmentRef(BaseModel):
    """An attachment: a local path or a stored file (its `files` _id)."""

    path: str | None = None
    fileId: str | None = None
    filename: str | None = None
    followSymlinks: bool = False  # a local path that is a symbolic link: follow it

    @model_validator(mode="after")
    def _one_source(self) -> AttachmentRef:
        if bool(self.path) == bool(self.fileId):
            raise ValueError("an attachment is either a local path or a stored file id")
        return self


class SendEmailRequest(BaseModel):
    """The guide's sendEmailSchema, plus cc/bcc and markdown bodies."""

    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str = Field(
        min_length=EMAIL_CONSTANTS.SUBJECT_MIN_LENGTH, max_length=EMAIL_CONSTANTS.SUBJECT_MAX_LENGTH
    )
    htmlContent: str | None = Field(None, max_length=EMAIL_CONSTANTS.CONTENT_MAX_LENGTH)
    textContent: str | None = Field(None, max_length=EMAIL_CONSTANTS.CONTENT_MAX_LENGTH)
    markdownContent: str | None = Field(None, max_length=EMAIL_CONSTANTS.CONTENT_MAX_LENGTH)
    templateId: str | None = None
    templateData: dict[str, Any] | None = None
    category: EmailCategory
    priority: EmailPriority = EmailPriority.NORMAL
    attachments: list[AttachmentRef] = Field(
        default_factory=list, max_length=EMAIL_CONSTANTS.ATTACHMENT_MAX_COUNT
    )
    tags: dict[str, str] | None = None
    clientId: str | None = None
    replyTo: str | None = None

    @field_validator("to", "cc", "bcc", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in re.split(r"[,;\s]+", value) if part]
        return value

    @field_validator("to", "cc", "bcc")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [normalize_email(a) for a in value]

    @field_validator("replyTo")
    @classmethod
    def _reply_to(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("clientId")
    @classmethod
    def _client(cls, value: str | None) -> str | None:
        return check_client_id(value or "")

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return check_header(value, "subject")

    @model_validator(mode="after")
    def _check(self) -> SendEmailRequest:
        count = len(self.to) + len(self.cc) + len(self.bcc)
        if count > EMAIL_CONSTANTS.RECIPIENTS_MAX_COUNT:
            raise ValueError(
                f"{count} recipients; at most {EMAIL_CONSTANTS.RECIPIENTS_MAX_COUNT} per send"
            )
        if not (self.htmlContent or self.textContent or self.markdownContent or self.templateId):
            raise ValueError("give a body (text, HTML or Markdown) or a template")
        return self

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


SortOrder = Literal["asc", "desc"]


class EmailQuery(BaseModel):
    """The guide's emailQuerySchema (keyset pagination instead of page numbers)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=1000)
    search: str | None = Field(None, max_length=200)
    category: EmailCategory | None = None
    status: EmailStatus | None = None
    priority: EmailPriority | None = None
    userId: str | None = None
    clientId: str | None = None
    recipient: str | None = None
    messageId: str | None = None
    hasAttachments: bool | None = None
    startDate: datetime | None = None
    endDate: datetime | None = None
    sortBy: Literal["createdAt", "subject", "status", "category"] = "createdAt"
    sortOrder: SortOrder = "desc"

    @model_validator(mode="after")
    def _range(self) -> EmailQuery:
        if self.startDate and self.endDate and self.endDate < self.startDate:
            raise ValueError("the end date is before the start date")
        return self


class GenerateUploadUrlRequest(BaseModel):
    """The guide's generateUploadUrlSchema."""

    model_config = ConfigDict(extra="forbid")

    fileName: str
    contentType: Literal[FILE_CONSTANTS.ALLOWED_TYPES]  # type: ignore[valid-type]
    category: FileCategory
    maxSizeBytes: int = Field(
        FILE_CONSTANTS.DEFAULT_UPLOAD_URL_MAX, ge=1, le=FILE_CONSTANTS.MAX_SIZE
    )
    isPublic: bool = False
    metadata: dict[str, str] | None = None
    clientId: str | None = None
    departmentId: str | None = None

    @field_validator("fileName")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_file_name(value)

    @field_validator("clientId")
    @classmethod
    def _client(cls, value: str | None) -> str | None:
        return check_client_id(value or "")


class FileQuery(BaseModel):
    """The guide's fileQuerySchema plus owner, client, tags and a date range."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=1000)
    search: str | None = Field(None, max_length=200)
    category: FileCategory | None = None
    status: FileStatus | None = None
    userId: str | None = None
    clientId: str | None = None
    departmentId: str | None = None
    tags: list[str] = Field(default_factory=list)
    startDate: datetime | None = None
    endDate: datetime | None = None
    includeDeleted: bool = False
    sortBy: Literal["fileName", "size", "createdAt", "category"] = "createdAt"
    sortOrder: SortOrder = "desc"

    @model_validator(mode="after")
    def _range(self) -> FileQuery:
        if self.startDate and self.endDate and self.endDate < self.startDate:
            raise ValueError("the end date is before the start date")
        return self


def escape_search(text: str) -> str:
    """The user's text as a literal, case-insensitive regex (the guide passed it raw)."""
    return re.escape(text.strip())


def read_text_file(path: str | Path, what: str, encoding: str = "utf-8") -> str:
    """Read a text file the operator named (a body, a CSV), each failure one line:
    `{what} file not found: …`, a folder, permission denied, not UTF-8."""
    from core.errors import InputError

    file = Path(path).expanduser()
    try:
        return file.read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {file}") from None
    except IsADirectoryError:
        raise InputError(f"{what} path is a folder, not a file: {file}") from None
    except PermissionError:
        raise InputError(f"{what} file is not readable (permission denied): {file}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} file is not UTF-8 text: {file}", "Save it as UTF-8.") from None


_CLIENT_ID = re.compile(r"[0-9a-f]{24}")


def check_client_id(value: str) -> str | None:
    """A client id as the CRM writes it (its clients' ObjectId: 24 hexadecimal
    characters), lower-cased; None when empty. Anything else (a name such as
    "Client Y") is refused with what a client id looks like."""
    from core.errors import InputError

    text = value.strip().lower()
    if not text:
        return None
    if not _CLIENT_ID.fullmatch(text):
        raise InputError(
            f"{value.strip()!r} is not a client id.",
            "A client id is the CRM's id of the client: 24 characters 0-9 and a-f "
            "(e.g. 683d063fe345c182ead5c02a).",
        )
    return text
