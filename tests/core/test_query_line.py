"""The query line's syntax: table-driven, per screen, and into the listings' filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InputError
from core.logs.dates import parse_range
from core.logs.query import FilterSet
from core.query_line import (
    Screen,
    case_target,
    complete,
    file_query,
    log_filters,
    log_line,
    parse,
    replace_terms,
    suppression_filter,
)
from core.vocabulary import FileCategory, SuppressionReason

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)

PARSED: list[tuple[Screen, str, str, list[tuple[str, str]]]] = [
    # screen, line, free text, terms
    ("logs", "", "", []),
    ("logs", "invoice", "invoice", []),
    ("logs", "status:bounced", "", [("status", "bounced")]),
    ("logs", "Status:BOUNCED", "", [("status", "bounced")]),
    ("logs", "status:bou", "", [("status", "bounced")]),  # an unambiguous prefix
    ("logs", "category:auth prio:h", "", [("cat", "auth"), ("prio", "high")]),
    ("logs", "status:sent status:failed", "", [("status", "failed")]),  # the last one wins
    (
        "logs",
        "status:bounced since:7d to:ann@x.com reset",
        "reset",
        [("status", "bounced"), ("since", "7d"), ("to", "ann@x.com")],
    ),
    ("logs", 'to:"Ann B@x.com" Re', "Re", [("to", "Ann B@x.com")]),
    ("logs", '"Re: invoice" cat:system', "Re: invoice", [("cat", "system")]),
    ("logs", "12:30 meeting", "12:30 meeting", []),
    ("logs", "has:attachment client:C-1", "", [("has", "attachment"), ("client", "C-1")]),
    ("files", "client:C-1 since:30d", "", [("client", "C-1"), ("since", "30d")]),
    ("files", "tag:q3 tag:signed contract", "contract", [("tag", "q3"), ("tag", "signed")]),
    ("files", "name:'Q3 report' cat:inv", "", [("name", "Q3 report"), ("cat", "invoice")]),
    ("suppressions", "reason:complaint since:7d", "", [("reason", "complaint"), ("since", "7d")]),
    ("suppressions", "by:ses-events gmail", "gmail", [("by", "ses-events")]),
]


@pytest.mark.parametrize(("screen", "line", "text", "terms"), PARSED)
def test_parse(screen: Screen, line: str, text: str, terms: list[tuple[str, str]]) -> None:
    query = parse(line, screen, now=NOW)
    assert (query.text, list(query.terms)) == (text, terms)


ERRORS: list[tuple[Screen, str, str]] = [
    # screen, line, what the one-line error says
    ("logs", "colour:red", "Unknown key colour: (the logs keys are status: cat: prio: since:"),
    ("logs", "reason:bounce", "Unknown key reason:"),  # a suppressions key
    ("suppressions", "status:bounced", "the suppressions keys are reason: since: until: by:"),
    ("logs", "status:lost", "status:lost is not a delivery status. Use one of: queued, sent"),
    ("logs", "status:", "status: needs a value, e.g. status:queued."),
    ("logs", 'to:"ann', 'The quote " at column 4 is not closed.'),
    ("logs", "since:lastweek", "'lastweek' is not a date."),
    ("files", "since:7d until:30d", "ends before it starts"),
    ("files", "cat:poster", "Use one of: email, document, avatar"),
]


@pytest.mark.parametrize(("screen", "line", "message"), ERRORS)
def test_bad_lines_say_what_to_type(screen: Screen, line: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(line, screen, now=NOW)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


DATES: list[tuple[str, str, datetime | None, datetime | None]] = [
    # since/until as typed -> the range's [start, end) in UTC (tz UTC)
    ("since:7d", "7d", NOW - timedelta(days=7), None),
    ("since:today", "today", datetime(2026, 11, 20, tzinfo=UTC), None),
    ("since:2026-11-01", "2026-11-01..", datetime(2026, 11, 1, tzinfo=UTC), None),
    ("until:2026-11-10", "..2026-11-10", None, datetime(2026, 11, 11, tzinfo=UTC)),
    (
        "since:30d until:yesterday",
        "30d..yesterday",
        NOW - timedelta(days=30),
        datetime(2026, 11, 20, tzinfo=UTC),
    ),
    (
        "since:yesterday",
        "yesterday..",
        datetime(2026, 11, 19, tzinfo=UTC),
        None,
    ),
]


@pytest.mark.parametrize(("line", "dates", "start", "end"), DATES)
def test_since_and_until(
    line: str, dates: str, start: datetime | None, end: datetime | None
) -> None:
    query = parse(line, "logs", now=NOW)
    assert query.dates == dates
    span = parse_range(query.dates, now=NOW, tz=UTC)
    assert (span.start, span.end) == (start, end)


def test_a_logs_line_becomes_the_filter_set_the_cli_flags_make() -> None:
    line = "status:bounced cat:auth prio:high since:7d to:ann@x.com client:C-9 has:attachment reset"
    filters = log_filters(parse(line, "logs"), FilterSet(sortBy="status", sortOrder="asc"))
    assert filters == FilterSet(
        search="reset",
        status="bounced",
        category="auth",
        priority="high",
        dates="7d",
        recipient="ann@x.com",
        clientId="C-9",
        hasAttachments=True,
        sortBy="status",
        sortOrder="asc",
    )
    # and back: a saved search shows in the line as keys
    assert log_line(filters) == (
        "status:bounced cat:auth prio:high since:7d to:ann@x.com client:C-9 has:attachment reset"
    )
    assert parse(log_line(filters), "logs").terms == parse(line, "logs").terms


def test_a_saved_range_shows_as_since_and_until() -> None:
    filters = FilterSet(dates="2026-11-01..2026-11-20", search="Re: invoice")
    line = log_line(filters)
    assert line == 'since:2026-11-01 until:2026-11-20 "Re: invoice"'
    assert log_filters(parse(line, "logs")).model_dump() == filters.model_dump()


def test_a_files_line_becomes_a_file_query() -> None:
    query = file_query(
        parse("client:C-1 cat:contract tag:q3 tag:signed name:renewal since:30d", "files"),
        limit=20,
        now=NOW,
    )
    assert query.clientId == "C-1"
    assert query.category == FileCategory.CONTRACT
    assert query.tags == ["q3", "signed"]
    assert query.search == "renewal"
    assert query.startDate == NOW - timedelta(days=30)
    assert query.limit == 20


def test_a_suppressions_line_becomes_a_filter() -> None:
    found = suppression_filter(parse("reason:complaint since:7d gmail", "suppressions"), now=NOW)
    assert found.reason == SuppressionReason.COMPLAINT
    assert found.search == "gmail"
    assert found.start == NOW - timedelta(days=7)
    assert found.end is None


COMPLETIONS: list[tuple[Screen, str, list[str]]] = [
    ("logs", "s", ["status:", "since:"]),
    ("logs", "status:", ["status:queued", "status:sent", "status:delivered", "status:bounced"]),
    ("logs", "invoice status:b", ["status:bounced"]),
    ("logs", "category:a", ["cat:auth"]),
    ("logs", "since:", ["since:today", "since:yesterday", "since:24h", "since:7d", "since:30d"]),
    ("logs", "colour:", []),
    ("logs", "", []),
    ("files", "t", ["tag:"]),
    ("suppressions", "reason:c", ["reason:complaint"]),
]


@pytest.mark.parametrize(("screen", "line", "expected"), COMPLETIONS)
def test_completion(screen: Screen, line: str, expected: list[str]) -> None:
    found = complete(line, screen)
    assert list(found.candidates[: len(expected)]) == expected
    assert found.end == len(line)


REPLACED: list[tuple[str, str, list[str], str]] = [
    # the selects rewrite their key in the line and keep the rest as typed
    ("invoice", "status", ["bounced"], "invoice status:bounced"),
    ("status:sent invoice", "status", ["bounced"], "invoice status:bounced"),
    ("status:sent 'Re: x'", "status", [], "'Re: x'"),
    ("since:7d", "since", ["2026-11-01"], "since:2026-11-01"),
    ("", "to", ["ann b@x.com"], 'to:"ann b@x.com"'),
]


@pytest.mark.parametrize(("line", "name", "values", "expected"), REPLACED)
def test_replace_terms(line: str, name: str, values: list[str], expected: str) -> None:
    assert replace_terms(line, "logs", name, values) == expected


@pytest.mark.parametrize(
    ("line", "screen", "target"),
    [
        ("ann@x.com", "logs", "ann@x.com"),
        ("  Ann@X.example  ", "files", "Ann@X.example"),
        ("ann@x.com", "suppressions", "ann@x.com"),
        ("client:665f1c2a9b1e4a0012345678", "logs", "665f1c2a9b1e4a0012345678"),
        ("client:C-1", "files", "C-1"),
        # anything more, or the keyed form, keeps the line a filter
        ("to:ann@x.com", "logs", None),
        ("ann@x.com invoice", "logs", None),
        ("client:C-1 since:7d", "logs", None),
        ("client:C-1 report", "files", None),
        ("ann@x", "logs", None),
        ("@x.com", "logs", None),
        ("invoice", "logs", None),
        ("", "logs", None),
    ],
)
def test_a_line_naming_one_person_alone_is_a_case(
    line: str, screen: Screen, target: str | None
) -> None:
    assert case_target(parse(line, screen)) == target
