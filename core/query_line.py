"""The query line: free text plus `key:value` tokens, one syntax for the console's
`/` line and the command line (`depllc logs 'status:bounced since:7d'`).

    status:bounced cat:auth since:7d to:ann@x.com invoice
    client:C-1 tag:q3 tag:signed name:"Q3 report"
    reason:complaint since:7d
    actor:ana action:purge since:30d

Each screen (logs, files, suppressions, audit) has its own keys; an unknown key is an error
naming the known ones. Values may be quoted (`to:"Ann B" `, `"Re: invoice"` is free
text); a choice (status, cat, prio, reason...) takes any unambiguous prefix
(`status:bou`). `since:` and `until:` take what the date filter takes (`today`,
`yesterday`, `7d`, `2026-11-01`); `until:` includes its day. A query turns into the
filter objects the listings already take (FilterSet, FileQuery, SuppressionFilter,
AuditFilter)
and back into text (`format_terms`), so the screens' selects and the line agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from core.errors import InputError
from core.logs.dates import parse_range
from core.vocabulary import (
    EmailCategory,
    EmailPriority,
    EmailStatus,
    FileCategory,
    FileStatus,
    SuppressionReason,
)

if TYPE_CHECKING:
    from core.audit import AuditFilter
    from core.logs.query import FilterSet
    from core.suppressions import SuppressionFilter
    from core.validation import FileQuery

Screen = Literal["logs", "files", "suppressions", "audit"]
DATE_EXAMPLES = ("today", "yesterday", "24h", "7d", "30d")
MAX_LINE = 500


@dataclass(frozen=True)
class Key:
    """One `key:` of a screen: its name, what it filters, the values it allows (a
    choice) or suggests (completion), and other spellings."""

    name: str
    help: str
    choices: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    repeats: bool = False  # several values combine (tag:a tag:b = both tags)

    def suggestions(self) -> tuple[str, ...]:
        return self.choices or self.examples


AUDIT_ACTIONS = (  # what `action:` completes to (the frequent ones; any is taken)
    "send",
    "send-bulk",
    "suppress",
    "unsuppress",
    "upload",
    "delete",
    "restore",
    "purge",
    "presign",
    "edit-metadata",
    "restore-version",
)
_SINCE = Key("since", "from this time (7d, today, 2026-11-01)", examples=DATE_EXAMPLES)
_UNTIL = Key("until", "up to and including (yesterday, 2026-11-20)", examples=DATE_EXAMPLES[:2])

KEYS: dict[str, tuple[Key, ...]] = {
    "logs": (
        Key("status", "delivery status", tuple(s.value for s in EmailStatus)),
        Key("cat", "category", tuple(c.value for c in EmailCategory), aliases=("category",)),
        Key("prio", "priority", tuple(p.value for p in EmailPriority), aliases=("priority",)),
        _SINCE,
        _UNTIL,
        Key("to", "a recipient (to, cc or bcc), exact address"),
        Key("client", "client id"),
        Key("has", "has:attachment, has:no-attachment", ("attachment", "no-attachment")),
        Key("id", "SES message id", aliases=("msg",)),
        Key("user", "user id (who sent it)"),
    ),
    "files": (
        Key("cat", "category", tuple(c.value for c in FileCategory), aliases=("category",)),
        Key("status", "upload status", tuple(s.value for s in FileStatus)),
        Key("client", "client id"),
        Key("tag", "a tag (several: all of them)", repeats=True),
        Key("name", "text in the file name"),
        Key("owner", "who uploaded it (user id)", aliases=("user",)),
        _SINCE,
        _UNTIL,
    ),
    "suppressions": (
        Key("reason", "why it is suppressed", tuple(r.value for r in SuppressionReason)),
        _SINCE,
        _UNTIL,
        Key("by", "who added it (ses-events, an operator)"),
    ),
    "audit": (
        Key("actor", "who made the change (exact)", aliases=("operator", "by", "who")),
        Key("action", "what was done (exact)", examples=AUDIT_ACTIONS),
        Key("target", "the log id, file key, address or ARN changed (exact)", aliases=("id",)),
        _SINCE,
        _UNTIL,
    ),
}
FREE_TEXT = {
    "logs": "text in the subject, recipients or message id",
    "files": "text in the file name",
    "suppressions": "text in the address, note or message id",
    "audit": "text in the target",
}
_KEY = re.compile(r"[A-Za-z][A-Za-z_-]*")


def keys_of(screen: Screen) -> tuple[Key, ...]:
    return KEYS[screen]


def known_keys(screen: Screen) -> str:
    return " ".join(f"{k.name}:" for k in KEYS[screen])


def find_key(screen: Screen, name: str) -> Key | None:
    lowered = name.lower()
    for key in KEYS[screen]:
        if lowered == key.name or lowered in key.aliases:
            return key
    return None


@dataclass(frozen=True)
class Token:
    """One word of the line: `key` is None for free text; start/end are offsets."""

    key: str | None
    value: str
    start: int
    end: int


def tokenize(line: str) -> list[Token]:
    """Split on spaces outside quotes; `key:` is a token's leading letters and a colon
    (not quoted). InputError for an unclosed quote."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start, key = i, None
        found = _KEY.match(line, i)
        if found and found.end() < n and line[found.end()] == ":":
            key = found.group().lower()
            i = found.end() + 1
        parts: list[str] = []
        while i < n and not line[i].isspace():
            char = line[i]
            if char in "\"'":
                close = line.find(char, i + 1)
                if close < 0:
                    raise InputError(
                        f"The quote {char} at column {i + 1} is not closed.",
                        "Close it, or leave it out.",
                    )
                parts.append(line[i + 1 : close])
                i = close + 1
            else:
                parts.append(char)
                i += 1
        tokens.append(Token(key, "".join(parts), start, i))
    return tokens


@dataclass(frozen=True)
class Query:
    """A parsed line: the free text and the (key, value) terms, values checked and
    choices spelled in full."""

    screen: Screen
    text: str = ""
    terms: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def get(self, name: str) -> str | None:
        found = [value for key, value in self.terms if key == name]
        return found[-1] if found else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.terms if key == name]

    @property
    def dates(self) -> str:
        """The date range text (`parse_range`) of since:/until:."""
        return dates_text(self.get("since"), self.get("until"))


def dates_text(since: str | None, until: str | None) -> str:
    """since:/until: as one range: `7d` and `today` stay as typed alone; otherwise
    `since..until` (either end open)."""
    since, until = (since or "").strip(), (until or "").strip()
    if not until:
        if not since or since.lower() == "today" or re.fullmatch(r"\d+\s*[mhdw]", since.lower()):
            return since
        return f"{since}.."
    return f"{since}..{until}"


def dates_terms(dates: str) -> list[tuple[str, str]]:
    """The reverse of `dates_text`: a range as since:/until: terms."""
    text = dates.strip()
    if not text:
        return []
    if text.lower() == "yesterday":
        return [("since", "yesterday"), ("until", "yesterday")]
    if ".." not in text:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return [("since", text), ("until", text)]
        return [("since", text)]
    left, _, right = text.partition("..")
    return [(k, v.strip()) for k, v in (("since", left), ("until", right)) if v.strip()]


def _choice(key: Key, value: str) -> str:
    lowered = value.lower()
    if lowered in key.choices:
        return lowered
    matches = [c for c in key.choices if c.startswith(lowered)]
    if len(matches) == 1:
        return matches[0]
    allowed = ", ".join(matches if matches else key.choices)
    raise InputError(f"{key.name}:{value} is not a {key.help}.", f"Use one of: {allowed}.")


def parse(line: str, screen: Screen, now: datetime | None = None) -> Query:
    """Parse a query line; InputError (one line) says what is wrong and what to type."""
    if len(line) > MAX_LINE:
        raise InputError(f"The query is {len(line)} characters long; at most {MAX_LINE}.")
    words: list[str] = []
    terms: list[tuple[str, str]] = []
    for token in tokenize(line):
        if token.key is None:
            if token.value:
                words.append(token.value)
            continue
        key = find_key(screen, token.key)
        if key is None:
            raise InputError(
                f"Unknown key {token.key}: (the {screen} keys are {known_keys(screen)}).",
                'To search for text with a colon, quote it: "Re: invoice".',
            )
        value = token.value.strip()
        if not value:
            example = key.suggestions()[0] if key.suggestions() else "…"
            raise InputError(f"{key.name}: needs a value, e.g. {key.name}:{example}.")
        if key.choices:
            value = _choice(key, value)
        if not key.repeats:
            terms = [t for t in terms if t[0] != key.name]
        terms.append((key.name, value))
    query = Query(screen, " ".join(words), tuple(terms))
    if query.dates:
        parse_range(query.dates, now=now)  # a bad date is reported now, as typed
    return query


_ADDRESS = re.compile(r"[^@\s\"']+@[^@\s\"']+\.[^@\s\"'.]+")


def case_target(query: Query) -> str | None:
    """The person a line names and nothing else: a bare address (`ann@x.com`) or a
    client id alone (`client:ID`). Enter on such a line opens their case; any other
    term (`to:ann@x.com`, `client:ID since:7d`) keeps it a filter."""
    if query.text and not query.terms and _ADDRESS.fullmatch(query.text):
        return query.text
    if not query.text and len(query.terms) == 1 and query.terms[0][0] == "client":
        return query.terms[0][1]
    return None


def quote(value: str) -> str:
    """A value as the line spells it (quoted when it holds a space or a quote)."""
    if value and not any(c.isspace() or c in "\"'" for c in value):
        return value
    return "'" + value + "'" if '"' in value else '"' + value + '"'


def format_terms(terms: Iterable[tuple[str, str]], text: str = "") -> str:
    """Terms and free text back into a line (`status:bounced since:7d invoice`)."""
    parts = [f"{key}:{quote(value)}" for key, value in terms if value]
    words = text.strip()
    if words:
        colon = any(token.key is not None for token in _safe_tokens(words))
        parts.append(quote(words) if colon else words)
    return " ".join(parts)


def _safe_tokens(text: str) -> list[Token]:
    try:
        return tokenize(text)
    except InputError:
        return [Token("", text, 0, len(text))]


def replace_terms(line: str, screen: Screen, name: str, values: Sequence[str]) -> str:
    """The line with every `name:` token replaced by `values` (none: removed), the rest
    kept as typed. For a line that does not parse, the new tokens are appended."""
    try:
        tokens = tokenize(line)
    except InputError:
        tokens = []
    kept: list[str] = []
    for token in tokens:
        key = find_key(screen, token.key) if token.key else None
        if key is not None and key.name == name:
            continue
        kept.append(line[token.start : token.end])
    if not tokens and line.strip():
        kept = [line.strip()]
    new = [f"{name}:{quote(v)}" for v in values if v]
    return " ".join([*kept, *new])


# --- into the listings' filters --------------------------------------------------


def log_filters(query: Query, base: FilterSet | None = None) -> FilterSet:
    """A logs query as a FilterSet (the sort of `base` is kept)."""
    from core.logs.query import FilterSet

    has = query.get("has")
    values = {
        "search": query.text,
        "status": query.get("status") or "",
        "category": query.get("cat") or "",
        "priority": query.get("prio") or "",
        "dates": query.dates,
        "recipient": query.get("to") or "",
        "clientId": query.get("client") or "",
        "messageId": query.get("id") or "",
        "userId": query.get("user") or "",
        "hasAttachments": None if has is None else has == "attachment",
    }
    return (base or FilterSet()).model_copy(update=values)


def log_line(filters: FilterSet) -> str:
    """A FilterSet as a query line (a saved search shown in the line)."""
    has = {True: "attachment", False: "no-attachment", None: ""}[filters.hasAttachments]
    terms = [
        ("status", filters.status),
        ("cat", filters.category),
        ("prio", filters.priority),
        *dates_terms(filters.dates),
        ("to", filters.recipient),
        ("client", filters.clientId),
        ("id", filters.messageId),
        ("user", filters.userId),
        ("has", has),
    ]
    return format_terms(terms, filters.search)


def file_query(query: Query, limit: int = 50, now: datetime | None = None) -> FileQuery:
    """A files query as a FileQuery (free text and name: both search the name)."""
    from pydantic import ValidationError

    from core.errors import validation_message
    from core.validation import FileQuery

    span = parse_range(query.dates, now=now)
    search = " ".join(w for w in (query.get("name"), query.text) if w) or None
    try:
        return FileQuery(
            limit=limit,
            search=search,
            category=query.get("cat"),
            status=query.get("status"),
            clientId=query.get("client"),
            userId=query.get("owner"),
            tags=query.all("tag"),
            startDate=span.start,
            endDate=span.end,
        )
    except ValidationError as exc:
        raise InputError(f"Invalid filter: {validation_message(exc)}") from None


def suppression_filter(query: Query, now: datetime | None = None) -> SuppressionFilter:
    from core.suppressions import SuppressionFilter

    span = parse_range(query.dates, now=now)
    reason = query.get("reason")
    return SuppressionFilter(
        search=query.text,
        reason=SuppressionReason(reason) if reason else None,
        by=query.get("by") or "",
        start=span.start,
        end=span.end,
    )


def audit_filter(query: Query, now: datetime | None = None) -> AuditFilter:
    from core.audit import AuditFilter

    span = parse_range(query.dates, now=now)
    target = query.get("target")
    return AuditFilter(
        search=query.text,
        operator=query.get("actor") or "",
        action=query.get("action") or "",
        targets=(target,) if target else (),
        start=span.start,
        end=span.end,
    )


# --- completion ----------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    """What the word under the cursor may become: `replace` is its [start, end) in the
    line, `candidates` the full words (`status:bounced`, `since:`)."""

    start: int
    end: int
    candidates: tuple[str, ...]


def complete(line: str, screen: Screen, cursor: int | None = None) -> Completion:
    """Candidates for the word that ends at `cursor` (default: the line's end): keys
    for a bare word, values for `key:` and `key:prefix`."""
    at = len(line) if cursor is None else cursor
    start = at
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    word = line[start:at]
    name, colon, prefix = word.partition(":")
    if colon:
        key = find_key(screen, name)
        if key is None:
            return Completion(start, at, ())
        lowered = prefix.lower().strip("\"'")
        values = [v for v in key.suggestions() if v.startswith(lowered) and v != lowered]
        return Completion(start, at, tuple(f"{key.name}:{v}" for v in values))
    lowered = word.lower()
    names = [f"{k.name}:" for k in KEYS[screen] if word and k.name.startswith(lowered)]
    return Completion(start, at, tuple(names))
