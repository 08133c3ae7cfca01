"""The type policy, and what a local file must pass before anything is recorded or
sent: the guide's name rules (and more: no text-direction characters, no refused
extension), the size cap, and the type read from the bytes and checked against the
extension (a `.pdf` that is an executable, a `.txt` that is a web page and a `.bat`
that is plain text are all refused). Symbolic links are refused unless followed on
purpose."""

from __future__ import annotations

import csv
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.errors import InputError
from core.validation import FILE_CONSTANTS, check_file_name, extension

SNIFF_BYTES = 8192

# The extension's word on the type: a file must be what its name says.
EXTENSION_TYPES: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".csv": "text/csv",
}
TEXT_TYPES = ("text/plain", "text/csv")
# Text is accepted under these extensions only (or none): under any other name a
# program might run it (`.bat`, `.js`, `.hta`, ...; REFUSED_EXTENSIONS names the known
# ones, this closes the rest).
TEXT_EXTENSIONS = ("", ".txt", ".text", ".csv", ".tsv", ".log", ".md")
# Text that is markup or a server script, by its first characters.
MARKUP_TYPES = {
    "text/html": "a web page (HTML)",
    "image/svg+xml": "an SVG image (markup that can run script)",
    "application/xml": "XML markup",
    "application/x-php": "a PHP script",
}
_MARKUP = re.compile(
    r"\s*(?:(?P<xml><\?xml\b)|<!doctype\s+(?P<doctype>\w+)|<(?P<tag>html|head|body|script"
    r"|iframe|frameset|object|embed|svg|style|meta|img|form)\b|(?P<php><\?php\b))",
    re.IGNORECASE,
)
EXECUTABLE_TYPES = {
    "application/x-executable": "an ELF executable",
    "application/x-msdownload": "a Windows executable",
    "application/x-mach-binary": "a macOS executable",
    "application/x-sh": "a shell script",
}


@dataclass(frozen=True)
class LocalFile:
    """A local file that passed the checks, with what was seen when it was checked."""

    path: Path
    name: str
    size: int
    content_type: str
    mtime_ns: int
    inode: int

    def changed(self) -> str | None:
        """Why the file is no longer what was checked (None when unchanged)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "the file vanished while uploading"
        except OSError as exc:
            return f"the file cannot be read any more ({exc.strerror})"
        if st.st_ino != self.inode:
            return "the file was replaced while uploading"
        if st.st_size != self.size:
            verb = "grew" if st.st_size > self.size else "shrank"
            return f"the file {verb} while uploading ({self.size} -> {st.st_size} bytes)"
        if st.st_mtime_ns != self.mtime_ns:
            return "the file was modified while uploading"
        return None


def check_name(name: str) -> str:
    try:
        return check_file_name(name)
    except ValueError as exc:
        raise InputError(f"Bad file name {name[:80]!r}: {exc}.", "Rename the file.") from None


def looks_like_text(head: bytes, complete: bool) -> bool:
    """UTF-8 (or ASCII) text without NULs or stray control characters."""
    if not head:
        return False
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sniff window is fine
        if complete or exc.start < len(head) - 4:
            return False
        text = head[: exc.start].decode("utf-8")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\v\x1b")
    return controls <= max(1, len(text) // 200)


def looks_like_csv(head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
    except csv.Error:
        return False
    counts = {len(row) for row in csv.reader(lines, dialect)}
    return len(counts) == 1 and counts.pop() > 1


def markup_type(head: bytes) -> str | None:
    """The markup type text starts with (HTML, SVG, XML, PHP), or None."""
    text = head[:1024].decode("utf-8", errors="ignore").lstrip("\ufeff")
    match = _MARKUP.match(text)
    if match is None:
        return None
    if match["php"]:
        return "application/x-php"
    tag, doctype = (match["tag"] or "").lower(), (match["doctype"] or "").lower()
    if "svg" in (tag, doctype) or (match["xml"] and "<svg" in text.lower()):
        return "image/svg+xml"
    if tag or doctype == "html":
        return "text/html"
    return "application/xml"


def sniff_type(head: bytes, name: str, complete: bool = False) -> str:
    """The content type the bytes show (filetype's magic numbers, then scripts,
    markup, text/CSV)."""
    import filetype

    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if head.startswith(b"#!"):
        return "application/x-sh"
    if looks_like_text(head, complete):
        markup = markup_type(head)
        if markup is not None:
            return markup
        if Path(name).suffix.lower() == ".csv" or looks_like_csv(head):
            return "text/csv"
        return "text/plain"
    return "application/octet-stream"


def check_claim(name: str, content_type: str) -> str:
    """The extension and a content type must agree: a known extension names its type
    (text and CSV may stand for each other); text only under a text extension."""
    ext = extension(name)
    claimed = EXTENSION_TYPES.get(ext)
    if claimed is not None and claimed != content_type:
        if claimed in TEXT_TYPES and content_type in TEXT_TYPES:
            return claimed  # a .txt holding commas is still the operator's text file
        raise InputError(
            f"{name}: the name says {claimed} but the content is {content_type}.",
            "Fix the extension or check the file is the one you meant.",
        )
    if content_type in TEXT_TYPES and ext not in TEXT_EXTENSIONS:
        raise InputError(
            f"{name}: text is accepted only as {', '.join(TEXT_EXTENSIONS[1:])} "
            f"(or no extension), not {ext}.",
            "Rename it to .txt if it is plain text.",
        )
    return content_type


def check_type(head: bytes, name: str, complete: bool = False) -> str:
    """The type policy: the name (check_name: no text-direction or control
    characters, no refused extension) and the first bytes together. Returns the type
    to record, or raises InputError: an executable, markup, a type not allowed, or not
    what the name says."""
    check_name(name)
    sniffed = sniff_type(head, name, complete)
    ext = extension(name)
    if sniffed in EXECUTABLE_TYPES:
        raise InputError(
            f"{name} is {EXECUTABLE_TYPES[sniffed]}"
            + (f", not the {ext} its name claims." if ext in EXTENSION_TYPES else "."),
            "Executables are never accepted.",
        )
    if sniffed in MARKUP_TYPES:
        raise InputError(
            f"{name} is {MARKUP_TYPES[sniffed]}; markup and scripts are never accepted.",
            "Send it as a PDF instead.",
        )
    if sniffed not in FILE_CONSTANTS.ALLOWED_TYPES:
        shown = "unrecognised binary data" if sniffed == "application/octet-stream" else sniffed
        raise InputError(
            f"{name}: type {shown} is not allowed.",
            "Allowed: images (JPEG, PNG, GIF, WebP), PDF, Word, Excel, plain text and CSV.",
        )
    return check_claim(name, sniffed)


def check_size(size: int, settings: Settings, name: str) -> None:
    import humanize

    if size == 0:
        raise InputError(f"{name} is empty (0 bytes).", "Choose a file with content.")
    if size > settings.file_max_size:
        raise InputError(
            f"{name} is {humanize.naturalsize(size, binary=True)}; the limit is "
            f"{humanize.naturalsize(settings.file_max_size, binary=True)}.",
            "Raise FILE_MAX_SIZE if this file really belongs in the CRM.",
        )


def refuse_symlink(path: Path, what: str = "") -> None:
    """A symbolic link is not followed unless asked (`--follow-symlinks`): a link to
    /etc/shadow named invoice.txt must not leave the machine by accident."""
    if path.is_symlink():
        raise InputError(
            f"{what}{path} is a symbolic link (to {path.readlink()}); links are not followed.",
            "Give the file itself, or pass --follow-symlinks.",
        )


def check_local_file(
    path: Path | str,
    settings: Settings,
    name: str | None = None,
    follow_symlinks: bool = False,
) -> LocalFile:
    """Every check a file must pass before its upload is recorded."""
    path = Path(path).expanduser()
    if not follow_symlinks:
        refuse_symlink(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"No such file: {path}", "Check the path.") from None
    except PermissionError:
        raise InputError(
            f"Cannot read {path}: permission denied.", "Check its permissions."
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder, not a file.", "Give the files inside it instead.")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path} is not a regular file.", "Give a regular file.")
    display = check_name(name if name is not None else path.name)
    check_size(st.st_size, settings, display)
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except PermissionError:
        raise InputError(
            f"Cannot read {path}: permission denied.", "Check its permissions."
        ) from None
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.") from None
    content_type = check_type(head, display, complete=st.st_size <= SNIFF_BYTES)
    return LocalFile(
        path=path,
        name=display,
        size=st.st_size,
        content_type=content_type,
        mtime_ns=st.st_mtime_ns,
        inode=st.st_ino,
    )


def check_tags(tags: list[str]) -> list[str]:
    """Tags: trimmed, unique, at most 20 of at most 50 characters, no control chars."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not tag:
            continue
        if len(tag) > 50 or any(ord(c) < 32 or ord(c) == 127 for c in tag):
            raise InputError(f"Bad tag {tag[:60]!r}: at most 50 printable characters.")
        if tag not in out:
            out.append(tag)
    if len(out) > 20:
        raise InputError(f"{len(out)} tags; at most 20.")
    return out


def is_readable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.R_OK | os.X_OK)
