"""The app shell: it starts a sandbox by itself, every screen opens by its key (and
from the command palette) under a header that says SANDBOX, `?` lists the bindings,
worker errors become one readable notification, ctrl+q quits."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from core.config import Settings
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import SCREENS, DepllcApp, screen_class
from tui.modals.help import HelpScreen, binding_rows
from tui.screens.base import ServiceScreen
from tui.widgets.connection_bar import ConnectionBar

SIZE = (160, 48)


def _header(app: DepllcApp) -> str:
    return app.screen.query_one(ConnectionBar).render().plain


async def test_starts_a_sandbox_and_every_screen_opens_by_key() -> None:
    app = DepllcApp(Settings.model_validate({"sandbox": True, "depllc_user": "tester"}))
    async with app.run_test(size=SIZE) as pilot:
        assert "SANDBOX" in _header(app)  # shown from the first frame, before it is up
        await until(pilot, lambda: app.runtime is not None)
        assert app.runtime is not None and app.runtime.is_sandbox
        await pilot.pause()
        header = _header(app)
        assert header.count("SANDBOX") == 1
        assert app.runtime.sandbox is not None
        assert app.runtime.sandbox.endpoint_url.removeprefix("http://") in header
        for mode, (key, label, _) in SCREENS.items():
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
            assert isinstance(app.screen, screen_class(mode))
            header = _header(app)
            assert "SANDBOX" in header and label in header
            if mode == "compose":  # its first field has focus: esc leaves it, so keys work
                await pilot.press("escape")
        await pilot.press("1")
        await pilot.pause()
        assert app.current_mode == "logs"


async def test_palette_opens_screens(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to Dashboard")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "dashboard", timeout=20)


async def test_help_teaches_the_keys_in_human_names_within_80_columns(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        rows = binding_rows(app.screen)
        keys = {row.keys for row in rows}
        assert {"1 … 6", "?, F1", "Ctrl+Q", "Ctrl+P", "/", "Enter", "Tab, Shift+Tab", "Esc"} <= keys
        assert "Home, End" in keys
        assert not any("question_mark" in k or "ctrl+" in k for k in keys)
        # the base Screen's and App's own bindings are noise here
        assert not {row.description for row in rows} & {"Focus Next", "Focus Previous"}
        assert all(row.description for row in rows)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = app.screen.query_one("#help-body")
        assert body.outer_size.width <= 80
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ServiceScreen)
        # F1 opens help from a text field too, where ? is typed
        await pilot.press("slash", "question_mark")
        assert app.screen.query_one("#logs-query", Input).value == "?"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        assert any(r.where == "In a text field" for r in rows)
        assert any(r.where == "Query line" and r.keys == "↑" for r in rows)


async def test_worker_errors_become_one_readable_notification(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:

        def boom() -> None:
            from core.errors import InputError

            raise InputError("No such log.", "Check the id.")

        app.run_worker(boom, thread=True, exit_on_error=False)
        await until(pilot, lambda: bool(app._notifications), timeout=15)
        (note,) = list(app._notifications)
        assert note.message == "No such log. Check the id."
        assert note.severity == "error"


async def test_a_failed_connection_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.errors import StoreUnavailableError

    def refuse(*_args: object, **_kwargs: object) -> Runtime:
        raise StoreUnavailableError("MongoDB is unreachable (test).", "Check MONGODB_URI.")

    monkeypatch.setattr("core.runtime.open_runtime", refuse)
    settings = Settings.model_validate(
        {"mongodb_uri": "mongodb://127.0.0.1:9/x", "aws_s3_bucket": "b"}
    )
    app = DepllcApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app._notifications), timeout=15)
        assert "not connected" in _header(app)
        assert "SANDBOX" not in _header(app)
        (note,) = list(app._notifications)
        assert note.message == "MongoDB is unreachable (test). Check MONGODB_URI."


async def test_ctrl_q_quits(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await asyncio.sleep(0.1)
    assert app.return_code == 0


async def test_footer_follows_the_keys_and_skips_needless_rebuilds() -> None:
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import Input

    from tui.widgets.footer import ConsoleFooter, shown_bindings

    class Named(Input):
        BINDINGS = [Binding("ctrl+t", "noop", "Tag it", id="named.tag")]

    class Demo(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(id="plain-a")
            yield Input(id="plain-b")
            yield Named(id="named")
            yield ConsoleFooter()

    app = Demo()
    async with app.run_test(size=SIZE) as pilot:
        footer = app.query_one(ConsoleFooter)

        def labels() -> list[str]:
            return [str(key.description) for key in footer.query("FooterKey")]

        def settled() -> bool:  # the footer shows the focused widget's keys
            wanted = shown_bindings(app.screen, footer._fit_width())
            return footer._shown == wanted and bool(footer.children)

        app.query_one("#plain-a").focus()
        # (a busy machine rebuilds it later than 0.2 s): its keys, then no change for 0.3 s
        await until(pilot, settled)
        shown, still = list(footer.children), 0
        for _ in range(200):
            await pilot.pause(0.05)
            now = list(footer.children)
            still, shown = (still + 1, shown) if now == shown else (0, now)
            if still == 6:
                break
        else:
            raise AssertionError("the footer keeps rebuilding with nothing changed")
        app.query_one("#plain-b").focus()  # same keys: no rebuild
        await pilot.pause(0.2)
        assert list(footer.children) == shown
        app.query_one("#named").focus()  # another key: rebuilt
        await until(pilot, lambda: "Tag it" in labels())
        app.query_one("#plain-a").focus()
        await until(pilot, lambda: "Tag it" not in labels())


@pytest.mark.parametrize("width", [80, 160, 200])
async def test_the_footer_fits_with_help_and_offers_no_typed_keys_in_a_field(
    runtime: Runtime, width: int
) -> None:
    from textual.widgets._footer import FooterKey

    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(width, 24)) as pilot:

        def keys() -> list[tuple[str, str]]:
            footer = app.screen.query_one("ConsoleFooter")
            return [(k.key_display, k.description) for k in footer.query(FooterKey)]

        def used() -> int:
            footer = app.screen.query_one("ConsoleFooter")
            return sum(k.outer_size.width for k in footer.query(FooterKey))

        await until(pilot, lambda: ("/", "Query") in keys())
        await pilot.pause(0.2)
        assert keys()[0] == ("?", "Help") and ("^p", "palette") in keys()
        assert used() <= width
        switches = [k for k in keys() if k[0] in "12345"]
        assert len(switches) in (0, 5)  # the screen keys all together, or in the help
        await pilot.press("slash")  # in the query line: what it types is not offered
        await until(pilot, lambda: keys()[0] == ("F1", "Help"))
        assert not [k for k, _ in keys() if len(k) == 1 and k.isascii()]  # ↑ ↓ are fine
        assert used() <= width
        await pilot.press("2")  # types a 2, stays on Logs
        assert app.current_mode == "logs"


async def test_copy_reaches_the_terminal_through_tmux(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)):
        written: list[str] = []
        assert app._driver is not None
        monkeypatch.setattr(app._driver, "write", written.append)
        app.copy_to_clipboard("ses-123")
    bare = "\x1b]52;c;c2VzLTEyMw==\a"  # base64 of ses-123
    assert written == [bare, "\x1bPtmux;\x1b\x1b]52;c;c2VzLTEyMw==\a\x1b\\"]
