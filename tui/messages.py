"""Typed messages posted by workers to the app and its screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from core.runtime import Runtime


class RuntimeReady(Message):
    """The services are connected (or the sandbox is up and seeded)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime


class RuntimeFailed(Message):
    """Startup failed: the text says why and what to do."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StartupRefused(Message):
    """The settings cannot be read (or name a sandbox this install lacks): the console
    ends and `depllc` says why in one line."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class StartupProgress(Message):
    """A step of the startup (sandbox provisioning and seeding)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class LogsChanged(Message):
    """Email logs changed (SES events applied) or were created (a send from this
    console): rows showing these SES MessageIds are re-read and updated in place, and
    the Logs screen looks for new logs above its first row. Post it to the app (it
    forwards it to every screen with `refresh_rows`) or to the logs screen."""

    def __init__(self, message_ids: list[str]) -> None:
        super().__init__()
        self.message_ids = message_ids


class Stopped(Message):
    """A signal's work is stopped and recorded (DepllcApp.interrupt): end the console."""

    def __init__(self, return_code: int) -> None:
        super().__init__()
        self.return_code = return_code
