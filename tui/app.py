"""The Textual app: six screens by single keys, a command palette, the connection
header, and the one place where a worker's error becomes a readable notification."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from styles import stylesheets
from tui import outside_text
from tui.interrupts import Running
from tui.messages import (
    LogsChanged,
    RuntimeFailed,
    RuntimeReady,
    StartupProgress,
    StartupRefused,
    Stopped,
)
from tui.outage_watch import OutageWatch
from tui.palette import CaseCommands
from tui.screens.base import ServiceScreen
from tui.widgets.connection_bar import ConnectionBar, HeaderState

if TYPE_CHECKING:
    from core.config import Settings
    from core.models import EmailLog
    from core.runtime import Runtime
    from tui.events_worker import EventsWorker

SCREENS: dict[str, tuple[str, str, str]] = {
    # mode: (key, label, "module:class"), imported when first opened: only the Logs
    # screen is needed for the first frame
    "logs": ("1", "Logs", "tui.screens.logs:LogsScreen"),
    "compose": ("2", "Compose", "tui.screens.compose:ComposeScreen"),
    "files": ("3", "Files", "tui.screens.files:FilesScreen"),
    "dashboard": ("4", "Dashboard", "tui.screens.dashboard:DashboardScreen"),
    "suppressions": ("5", "Suppressions", "tui.screens.suppressions:SuppressionsScreen"),
    "audit": ("6", "Audit", "tui.screens.audit:AuditScreen"),
}


def osc52(text: str) -> str:
    """The terminal sequence that puts `text` on the clipboard (OSC 52)."""
    return f"\x1b]52;c;{base64.b64encode(text.encode()).decode()}\a"


def tmux_passthrough(sequence: str) -> str:
    """`sequence` wrapped for tmux to hand to the outer terminal (ESC doubled)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def screen_class(mode: str) -> type[ServiceScreen]:
    """The screen class of a mode (imports its module)."""
    import importlib

    module, _, name = SCREENS[mode][2].partition(":")
    cls = getattr(importlib.import_module(module), name)
    assert isinstance(cls, type) and issubclass(cls, ServiceScreen)
    return cls


def _startup_heap_done() -> None:
    """Startup leaves a large, long-lived heap (Textual, pydantic, botocore, moto) and
    little garbage. `run_app` keeps the collector off until the console is connected
    (its passes took ~0.1 s of the first frame); now that heap moves out of the
    collector's reach, uncollected (a pass here took ~0.1 s before the first query to
    free under a thousand objects), so a full collection during a query does not stall
    the UI for hundreds of milliseconds (measured by benchmarks/logs_query.py)."""
    import gc

    gc.freeze()
    gc.enable()


def _mode_factory(mode: str) -> Callable[[], Screen[None]]:
    return lambda: screen_class(mode)()


class DepllcApp(App[int]):
    TITLE = "depllc console"
    CSS_PATH = [str(p) for p in stylesheets()]
    MODES: ClassVar[dict[str, Callable[[], Screen[None]]]] = {  # type: ignore[assignment]
        mode: _mode_factory(mode) for mode in SCREENS
    }
    DEFAULT_MODE = "logs"
    COMMANDS = App.COMMANDS | {CaseCommands}
    # width classes on every screen, for styles/*.tcss: 80x24 first
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (100, "-medium"),
        (150, "-wide"),
    ]
    events_worker: EventsWorker | None = None  # SES events consumer (tui/events_worker.py)
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        *[
            # the footer shows the screen keys all together or not at all: Audit's `6`
            # (in the help and the palette) stays out of it, so 1-5 fit at 200 columns
            Binding(
                key,
                f"switch_mode('{mode}')",
                label,
                show=mode != "audit",
                id=f"app.screen.{mode}",
            )
            for mode, (key, label, _) in SCREENS.items()
        ],
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
        # over the screens' own F5 (reload) while something is down: look again, and
        # on success every screen reloads
        Binding("f5", "look_again", "Retry now", priority=True, id="app.outage.retry"),
    ]

    def __init__(
        self,
        settings: Settings | Callable[[], Settings],
        runtime: Runtime | None = None,
        *,
        sandbox: bool = False,
    ) -> None:
        """`settings`, or what reads them: `depllc` passes the reader, which the startup
        worker calls after the first frame (reading them imports pydantic, ~0.2 s);
        `sandbox`: `--sandbox` was given (the header says so from the first frame)."""
        super().__init__()
        self._settings = settings
        self._settings_lock = threading.Lock()
        self.runtime: Runtime | None = runtime
        self.header = HeaderState(sandbox=sandbox)
        self.refused: Exception | None = None  # the settings' error that ended the console
        self.outage = OutageWatch(self)
        self.running = Running()  # the sends and transfers a signal stops (`interrupt`)
        self.interrupted: int | None = None  # the signal ending the console
        self.stopped_said: list[str] = []  # what the stopped work recorded
        self.stopped = threading.Event()  # ... and the console asked to end
        if runtime is not None:
            self._describe_runtime(runtime)
            self._watch_sends(runtime)

    @property
    def settings(self) -> Settings:
        """The settings (read on first use when the app was given their reader)."""
        with self._settings_lock:
            if callable(self._settings):
                self._settings = self._settings()
            return self._settings

    def on_mount(self) -> None:
        if not callable(self._settings):
            self.header.sandbox = self.settings.wants_sandbox
        if self.runtime is None:
            self.header.target = "starting sandbox…" if self.header.sandbox else "connecting…"
            # After the first frame: the worker's imports (pydantic, boto3, pymongo, moto)
            # would otherwise hold the GIL while the first screen is drawn.
            self.call_after_refresh(self.open_runtime)

    def on_unmount(self) -> None:
        if self.events_worker is not None:
            self.events_worker.stop()
        if self.runtime is not None:
            if self._log_sent in self.runtime.sent_hooks:
                self.runtime.sent_hooks.remove(self._log_sent)
            self.runtime.close()

    # --- startup -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False)
    def open_runtime(self) -> None:
        from core.errors import describe

        try:
            self._settle_settings()
        except Exception as exc:  # a broken settings file, a lean install's --sandbox
            self.post_message(StartupRefused(exc))
            return
        from core.runtime import open_runtime

        try:
            runtime = open_runtime(self.settings, progress=self._post_progress)
        except Exception as exc:
            self.post_message(RuntimeFailed(describe(exc).text))
            return
        self.post_message(RuntimeReady(runtime))

    def _settle_settings(self) -> None:
        """Read the settings. A sandbox's server starts loading now, in its own process,
        while this worker imports what connecting needs: with `--sandbox` before the
        settings are read, else once they say sandbox (none given at all)."""
        from core.sandbox import prestart_server

        flagged = self.header.sandbox
        if flagged:
            prestart_server()
        settings = self.settings  # (a broken settings file raises here)
        if settings.wants_sandbox and not flagged:
            prestart_server()
            self.call_from_thread(self._sandbox_header)

    def _sandbox_header(self) -> None:
        self.header.sandbox = True
        self.header.target = "starting sandbox…"
        self.refresh_headers()

    def _post_progress(self, text: str) -> None:
        self.post_message(StartupProgress(text))

    def _describe_runtime(self, runtime: Runtime) -> None:
        self.header.sandbox = runtime.is_sandbox
        self.header.target = runtime.target_label()

    def _watch_sends(self, runtime: Runtime) -> None:
        """A log this console sends shows on the Logs screen at once (events, if any,
        then update it in place)."""
        if self._log_sent not in runtime.sent_hooks:
            runtime.sent_hooks.append(self._log_sent)

    def _log_sent(self, log: EmailLog) -> None:  # called in the sending thread
        self.post_message(LogsChanged([log.messageId]))

    def set_header(
        self,
        status: str | None = None,
        warning: str | None = None,
        *,
        status_short: str = "",
        warning_short: str = "",
    ) -> None:
        """Update the header's status slots on every screen; the short forms (used
        when the terminal is narrow) go with the text they shorten."""
        if status is not None:
            self.header.status = status
            self.header.status_short = status_short
        if warning is not None:
            self.header.warning = warning
            self.header.warning_short = warning_short
        self.refresh_headers()

    def refresh_headers(self) -> None:
        # every screen with a header, pushed ones too (the log detail is not a mode screen)
        for stack in self._screen_stacks.values():
            for screen in stack:
                if screen.is_mounted:
                    for bar in screen.query(ConnectionBar):
                        bar.refresh()

    @on(StartupProgress)
    def _startup_progress(self, message: StartupProgress) -> None:
        self.header.target = message.text
        self.refresh_headers()

    @on(RuntimeReady)
    def _runtime_ready(self, message: RuntimeReady) -> None:
        _startup_heap_done()
        self.runtime = message.runtime
        self._describe_runtime(message.runtime)
        self._watch_sends(message.runtime)
        self.refresh_headers()
        for screen in self.service_screens():
            screen.runtime_ready()
        from tui.events_worker import start_events_worker

        self.events_worker = start_events_worker(self, message.runtime)

    @on(StartupRefused)
    def _startup_refused(self, message: StartupRefused) -> None:
        # `run_app` raises it once the screen is restored: one line, as for a command
        from core.sandbox import discard_prestarted

        discard_prestarted()  # (a --sandbox console starts moto before it reads settings)
        self.refused = message.error
        self.exit(return_code=2)

    @on(RuntimeFailed)
    def _runtime_failed(self, message: RuntimeFailed) -> None:
        _startup_heap_done()
        self.header.target = "not connected"
        self.refresh_headers()
        self.notify(message.text, title="Cannot connect", severity="error", timeout=30)
        if not self.settings.wants_sandbox:
            self.action_doctor()  # say exactly what is wrong and how to fix it

    @on(LogsChanged)
    def _logs_changed(self, message: LogsChanged) -> None:
        # Event ingestion changed these logs: every screen showing them refreshes.
        for stack in self._screen_stacks.values():
            for screen in stack:
                refresh = getattr(screen, "refresh_rows", None)
                if screen.is_mounted and callable(refresh):
                    refresh(message.message_ids)

    def service_screens(self) -> Iterable[ServiceScreen]:
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, ServiceScreen) and screen.is_mounted:
                    yield screen

    # --- signals ---------------------------------------------------------------

    def interrupt(self, signum: int) -> None:
        """SIGINT, SIGTERM or SIGHUP (a dropped SSH session; tui/launch.py calls this
        from its signal handler): every send and transfer in `running` stops as on the
        command line (tui/interrupts.py), records what happened, then the console ends
        with 128 + the signal. A second signal while that happens changes nothing.
        Safe inside a signal handler: it only starts a thread (which needs nothing from
        the event loop, which may be stuck writing to a terminal that is gone)."""
        if self.interrupted is not None:
            return
        self.interrupted = signum
        threading.Thread(
            target=self._stop_running, args=(signum,), name="depllc-interrupt", daemon=True
        ).start()

    def _stop_running(self, signum: int) -> None:
        self.stopped_said = self.running.stop()
        self.post_message(Stopped(128 + signum))  # thread-safe
        self.stopped.set()

    @on(Stopped)
    def _stopped(self, message: Stopped) -> None:
        self.exit(return_code=message.return_code)

    # --- notifications and errors: the one place ------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification of the console (screens and workers call this one): its
        texts quote subjects, names and errors, so they are shown as plain text with
        control and bidi characters made visible, never as markup. (`markup` is
        Textual's signature; it is ignored.)"""
        super().notify(
            outside_text.visible(message, multiline=True),
            title=outside_text.visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def report_error(self, exc: BaseException, title: str = "Error") -> None:
        from core.errors import describe
        from core.outage import unreachable_side

        text = describe(exc).text
        side = unreachable_side(exc)
        if side is not None and self.runtime is not None:
            # outage mode: the banner says it (and stays), once, not a toast per query
            if self.outage.report(side):
                self.notify(text, title=f"{side} unreachable", severity="error", timeout=8)
            return
        self.notify(text, title=title, severity="error", timeout=12)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "look_again":
            return bool(self.outage.outages)  # F5 shows only while something is down
        return True

    def action_look_again(self) -> None:
        self.outage.retry_now()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    # --- clipboard -------------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 (Textual's), and inside tmux the same sequence through tmux's
        passthrough as well: a default tmux (`set-clipboard external`) drops a bare
        OSC 52 from the application (it needs `allow-passthrough on` for this one)."""
        super().copy_to_clipboard(text)
        if self._driver is not None and os.environ.get("TMUX"):
            self._driver.write(tmux_passthrough(osc52(text)))

    # --- help and palette ----------------------------------------------------

    def action_help(self) -> None:
        from tui.modals.help import HelpScreen, binding_rows
        from tui.screens.case import CaseScreen

        if not isinstance(self.screen, ServiceScreen | CaseScreen):
            return
        self.push_screen(HelpScreen(binding_rows(self.screen)))

    def action_doctor(self) -> None:
        from tui.screens.doctor import DoctorScreen

        if not isinstance(self.screen, DoctorScreen):
            self.push_screen(DoctorScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, (key, label, _) in SCREENS.items():
            yield SystemCommand(
                f"Go to {label}",
                f"Open the {label} screen (key {key})",
                lambda m=mode: self.switch_mode(m),
            )
        yield SystemCommand("Help: keys", "List every key binding", self.action_help)
        yield SystemCommand(
            "Doctor: check the setup",
            "Credentials, SES, bucket, queue, MongoDB, journal, clock (as `depllc doctor`)",
            self.action_doctor,
        )
