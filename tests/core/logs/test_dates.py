"""Date ranges as typed in the filter bar and on the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import InputError
from core.logs.dates import parse_range, parse_since

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def test_blank_is_any_time() -> None:
    assert parse_range("", now=NOW).is_open
    assert parse_range(None, now=NOW).is_open
    assert parse_range("   ", now=NOW).is_open


def test_today_and_yesterday_are_local_days() -> None:
    today = parse_range("today", now=NOW, tz=PARIS)
    assert today.start == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    assert today.end is None
    yesterday = parse_range("Yesterday", now=NOW, tz=PARIS)
    assert yesterday.start == datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    assert yesterday.end == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("7d", timedelta(days=7)),
        ("24h", timedelta(hours=24)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        (" 7 d ", timedelta(days=7)),
    ],
)
def test_spans_count_back_from_now(text: str, delta: timedelta) -> None:
    found = parse_range(text, now=NOW)
    assert found.start == NOW - delta
    assert found.end is None


def test_range_covers_both_days_whole() -> None:
    found = parse_range("2026-11-01..2026-11-20", now=NOW, tz=UTC)
    assert found.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert found.end == datetime(2026, 11, 21, tzinfo=UTC)


def test_single_date_is_that_day() -> None:
    found = parse_range("2026-11-05", now=NOW, tz=UTC)
    assert (found.start, found.end) == (
        datetime(2026, 11, 5, tzinfo=UTC),
        datetime(2026, 11, 6, tzinfo=UTC),
    )


def test_open_ended_ranges() -> None:
    assert parse_range("2026-11-01..", now=NOW, tz=UTC).end is None
    assert parse_range("..2026-11-01", now=NOW, tz=UTC).start is None


def test_datetime_points() -> None:
    found = parse_range("2026-11-01T08:00..2026-11-01T09:30", now=NOW, tz=UTC)
    assert found.start == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert found.end == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_same_day_range_is_one_day() -> None:
    found = parse_range("2026-11-01..2026-11-01", now=NOW, tz=UTC)
    assert found.end - found.start == timedelta(days=1)  # type: ignore[operator]


@pytest.mark.parametrize(
    "text",
    ["last week", "7x", "2026-13-01", "2026-11-01..banana", "..", "0d", "1..2..3", "x" * 100],
)
def test_malformed_is_a_clear_input_error(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_range(text, now=NOW)
    assert caught.value.hint or "empty" in caught.value.message


def test_end_before_start_is_refused() -> None:
    with pytest.raises(InputError, match="ends before it starts"):
        parse_range("2026-11-20..2026-11-01", now=NOW)


def test_huge_span_is_refused() -> None:
    with pytest.raises(InputError, match="too far"):
        parse_range("99999w", now=NOW)


def test_since() -> None:
    assert parse_since("30d", now=NOW) == NOW - timedelta(days=30)
    with pytest.raises(InputError):
        parse_since("..2026-11-01", now=NOW)
