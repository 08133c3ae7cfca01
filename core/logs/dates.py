"""Date ranges as people type them: `today`, `yesterday`, `7d`, `24h`, `2w`, `30m`,
`2026-11-01`, `2026-11-01..2026-11-20`, and open ends (`2026-11-01..`, `..2026-11-20`).
A range's ends may be relative too (`7d..yesterday`, `yesterday..`): the query line's
`since:` and `until:` compose such ranges.

Days are the operator's local days (tables show local times); the range's end is
exclusive, so `2026-11-01..2026-11-20` covers both days in whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.errors import InputError

HINT = (
    "Use today, yesterday, a span such as 7d / 24h / 2w / 30m, a date (2026-11-01) "
    "or a range (2026-11-01..2026-11-20)."
)
_SPAN = re.compile(r"^(\d{1,5})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_TEXT = 64
MAX_SPAN = timedelta(days=36_525)


@dataclass(frozen=True)
class DateRange:
    """[start, end): either end may be open (None)."""

    start: datetime | None = None
    end: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None

    def label(self) -> str:
        def fmt(value: datetime | None) -> str:
            return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "…"

        return "any time" if self.is_open else f"{fmt(self.start)} → {fmt(self.end)}"


def _local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    return tz if tz is not None else UTC


def _day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _span_start(text: str, now: datetime) -> datetime:
    """`7d` -> seven days before now."""
    span = _SPAN.match(text.strip().lower())
    assert span is not None
    amount, unit = int(span.group(1)), _UNITS[span.group(2)]
    if amount == 0:
        raise InputError(f"{text.strip()!r} is an empty span.", HINT)
    delta = timedelta(**{unit: amount})
    if delta > MAX_SPAN:
        raise InputError(f"{text.strip()!r} reaches too far back (100 years at most).", HINT)
    return now - delta


def _parse_point(text: str, tz: tzinfo, *, end: bool, now: datetime) -> datetime:
    """A date (whole day: its start, or the next day's start for an end), `today` or
    `yesterday` (the same, as days), a span back from now (`7d`) or an ISO datetime
    (naive means local)."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("today", "yesterday"):
        day = now.astimezone(tz).date() - timedelta(days=lowered == "yesterday")
        return _day_start(day + timedelta(days=1) if end else day, tz)
    if _SPAN.match(lowered):
        return _span_start(text, now)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _day_start(day + timedelta(days=1) if end else day, tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date.", HINT) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def parse_range(
    text: str | None, now: datetime | None = None, tz: tzinfo | None = None
) -> DateRange:
    """Parse what the operator typed into a range; blank means any time.

    Raises InputError (one line, with the accepted forms) on anything else, and when
    the end is before the start.
    """
    raw = (text or "").strip()
    if not raw:
        return DateRange()
    if len(raw) > MAX_TEXT:
        raise InputError(f"The date range is {len(raw)} characters long.", HINT)
    zone = tz or _local_tz()
    current = (now or datetime.now(UTC)).astimezone(UTC)
    lowered = raw.lower()
    today = current.astimezone(zone).date()
    if lowered == "today":
        return DateRange(_day_start(today, zone), None)
    if lowered == "yesterday":
        return DateRange(_day_start(today - timedelta(days=1), zone), _day_start(today, zone))
    if _SPAN.match(lowered):
        return DateRange(_span_start(raw, current), None)
    if ".." in raw:
        left, _, right = raw.partition("..")
        if ".." in right:
            raise InputError(f"{raw!r} holds more than one '..'.", HINT)
        if not left.strip() and not right.strip():
            raise InputError("'..' needs a start, an end, or both.", HINT)
        start = _parse_point(left, zone, end=False, now=current) if left.strip() else None
        end = _parse_point(right, zone, end=True, now=current) if right.strip() else None
        if start and end and end <= start:
            raise InputError(
                f"The range {raw!r} ends before it starts.", "Put the earlier date first."
            )
        return DateRange(start, end)
    start = _parse_point(raw, zone, end=False, now=current)
    if len(raw) == 10:
        return DateRange(start, _parse_point(raw, zone, end=True, now=current))
    return DateRange(start, None)


def parse_since(text: str, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """The start of a `--since` value (`30d`, `today`, `2026-11-01`)."""
    found = parse_range(text, now=now, tz=tz)
    if found.start is None:
        raise InputError(f"--since {text!r} has no start.", HINT)
    return found.start
