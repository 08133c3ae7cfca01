"""The header fits the terminal: at 160 columns the sandbox's rates warning shows in
full with the events status; narrower, shorter forms, keeping (most important first)
where the console is connected, the warning, the events status."""

from __future__ import annotations

import pytest

import tui.events_worker as events_worker
from core.config import Settings
from core.events.rates import Rates
from core.models import EmailLog, utcnow
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.events_worker import short_warning
from tui.widgets.connection_bar import ConnectionBar, HeaderState, header_line

SANDBOX_TARGET = "moto 127.0.0.1:45215 · in-process store · nothing leaves this machine"
CONNECTED_TARGET = "ops · eu-west-1 · s3://depllc-files · mongodb://db.internal:27017/depllc"
WARNING = "SES: bounces 3.9% near 5% · complaints 1.57% over 0.1% (7 d)"
WARNING_SHORT = "SES: bounces 3.9% · complaints 1.57%"
STATUS = "events: last poll 00:05:01 · 12 applied · 0 set aside"
STATUS_SHORT = "events 00:05:01 · 12 applied"


def state(target: str, sandbox: bool) -> HeaderState:
    return HeaderState(
        target=target,
        sandbox=sandbox,
        status=STATUS,
        status_short=STATUS_SHORT,
        warning=WARNING,
        warning_short=WARNING_SHORT,
    )


@pytest.mark.parametrize("width", [200, 160, 120, 100, 80])
def test_the_sandbox_header_fits_and_keeps_the_most_important(width: int) -> None:
    line = header_line(state(SANDBOX_TARGET, True), "Logs", width)
    assert line.cell_len <= width
    text = line.plain
    assert text.startswith(" depllc  Logs  SANDBOX ")
    assert WARNING in text if width >= 160 else WARNING_SHORT in text
    assert "moto 127.0.0.1:45215" in text if width >= 120 else "moto" not in text
    if width >= 200:
        assert STATUS in text
    else:
        assert STATUS_SHORT in text if width >= 100 else "events" not in text


@pytest.mark.parametrize("width", [160, 120, 100, 80])
def test_a_real_connection_is_always_named(width: int) -> None:
    text = header_line(state(CONNECTED_TARGET, False), "Files", width).plain
    assert len(text) <= width
    assert "ops · eu-west-1" in text  # the profile and region, however narrow
    assert WARNING_SHORT in text or WARNING in text


def test_without_short_forms_the_texts_shorten_by_their_parts() -> None:
    plain = HeaderState(target="connecting…", status=STATUS, warning=WARNING)
    text = header_line(plain, "Logs", 120).plain
    assert len(text) <= 120
    assert WARNING in text  # no short form given: the warning is kept whole
    assert "events: last poll 00:05:01" in text and "applied" not in text


def test_too_narrow_for_anything_ends_with_an_ellipsis() -> None:
    line = header_line(state(SANDBOX_TARGET, True), "Logs", 40)
    assert line.overflow == "ellipsis" and line.no_wrap


def test_short_warning_names_only_the_rates_near_or_over() -> None:
    both = Rates(days=7, since=utcnow(), sent=1000, bounced=45, complaints=2)
    assert short_warning(both) == "SES: bounces 4.5% · complaints 0.20%"
    bounces = Rates(days=7, since=utcnow(), sent=1000, bounced=45, complaints=0)
    assert short_warning(bounces) == "SES: bounces 4.5%"
    fine = Rates(days=7, since=utcnow(), sent=1000, bounced=1, complaints=0)
    assert short_warning(fine) == "" and fine.warning() is None


def shown_header(app: DepllcApp) -> str:
    bar = app.screen.query_one(ConnectionBar)
    return "".join(segment.text for segment in bar.render_line(0)).rstrip()


async def test_sandbox_header_at_160_and_100_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_worker, "LONG_POLL_SECONDS", 1)
    app = DepllcApp(Settings.model_validate({"sandbox": True, "depllc_user": "tester"}))
    async with app.run_test(size=(160, 48)) as pilot:
        # the seed's complaint rate is over SES's 0.1%: the warning shows
        await until(pilot, lambda: app.header.warning.startswith("SES:"))
        await until(pilot, lambda: app.header.status.startswith("events: last poll"))
        await pilot.pause(0.1)
        header = shown_header(app)
        assert len(header) <= 160
        assert header.startswith(" depllc  Logs  SANDBOX  moto 127.0.0.1:")
        assert app.header.warning in header and "over 0.1%" in header
        assert app.header.status in header or app.header.status_short in header

        await pilot.resize_terminal(100, 48)
        await until(pilot, lambda: app.screen.query_one(ConnectionBar).size.width == 100)
        await pilot.pause(0.1)
        header = shown_header(app)
        assert len(header) <= 100
        assert header.startswith(" depllc  Logs  SANDBOX ")
        assert app.header.warning_short and app.header.warning_short in header
        assert "complaints" in header
        assert "…" not in header  # shortened by its forms, not cut


async def test_a_pushed_screen_header_follows_the_status(runtime: Runtime) -> None:
    from tui.screens.log_detail import LogDetailScreen

    log_id = runtime.store.emaillogs.insert_one(
        EmailLog.model_validate(
            {
                "messageId": "m-1",
                "to": ["ann@acme.test"],
                "from": "noreply@depllc.example",
                "subject": "Hello",
                "category": "notification",
                "status": "sent",
                "size": 10,
            }
        ).to_mongo()
    ).inserted_id
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(LogDetailScreen(str(log_id)))
        await pilot.pause(0.1)
        assert isinstance(app.screen, LogDetailScreen)
        app.set_header(status="events: last poll 01:02:03 · 5 applied")
        await pilot.pause(0.1)
        assert "events: last poll 01:02:03 · 5 applied" in shown_header(app)
