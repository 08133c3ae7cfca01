"""The app shell: it starts a sandbox by itself, every screen opens by its key (and
from the command palette) under a header that says SANDBOX, `?` lists the bindings,
worker errors become one readable notification, ctrl+q quits."""

from __future__ import annotations

import asyncio

import pytest

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


async def test_help_lists_the_consoles_bindings_with_ids(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        rows = binding_rows(app.screen)
        ids = {row.id for row in rows}
        assert {"app.screen.logs", "app.screen.files", "app.help", "app.quit"} <= ids
        # the base Screen's and App's own bindings are noise here
        assert not {row.description for row in rows} & {"Focus Next", "Focus Previous"}
        assert all(row.description for row in rows)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one("#help-table").render()
        assert shown is not None
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ServiceScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


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

    from tui.widgets.footer import ConsoleFooter

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

        app.query_one("#plain-a").focus()
        await pilot.pause(0.2)
        shown = list(footer.children)
        app.query_one("#plain-b").focus()  # same keys: no rebuild
        await pilot.pause(0.2)
        assert list(footer.children) == shown
        app.query_one("#named").focus()  # another key: rebuilt
        await pilot.pause(0.2)
        assert "Tag it" in labels()
        app.query_one("#plain-a").focus()
        await pilot.pause(0.2)
        assert "Tag it" not in labels()
