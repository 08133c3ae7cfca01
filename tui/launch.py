"""Open the TUI from the command line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from contextlib import suppress
from typing import TYPE_CHECKING

from tui.cli.context import CommandContext

if TYPE_CHECKING:
    from tui.app import DepllcApp

# seconds Textual gets to restore the screen once a signal's work is recorded
STUCK_AFTER = 0.5


def run_app(ctx: CommandContext) -> int:
    """Run the console; its exit code (1 when it stopped on an unhandled error, which
    Textual prints as it exits; 128 + the signal when SIGINT, SIGTERM or SIGHUP ended
    it, see `DepllcApp.interrupt`)."""
    if ctx.settings.wants_sandbox:
        from core.sandbox import require_sandbox_extra

        require_sandbox_extra()  # one line and exit 2 on a lean install, before any screen
    from tui.app import DepllcApp

    app = DepllcApp(ctx.settings)
    result = asyncio.run(_run(app, ctx))
    if app.return_code:
        return app.return_code
    return int(result or 0)


async def _run(app: DepllcApp, ctx: CommandContext) -> int | None:
    from tui import outside_text
    from tui.interrupts import SIGNALS, leave_now

    def leave_if_stuck(signum: int) -> None:
        # Textual restores the screen in a moment; with the terminal gone (a dropped SSH
        # session) its writes can fail and its shutdown wait for them forever
        app.stopped.wait()
        time.sleep(STUCK_AFTER)
        with suppress(Exception):
            if app.runtime is not None:
                app.runtime.close()  # a lasting sandbox's store saved, its lock released
        ctx.close()
        leave_now(128 + signum)

    def signalled(signum: int, _frame: object) -> None:
        # A Python signal handler, not the event loop's: it runs even while the loop is
        # blocked writing to a terminal that is gone
        if app.interrupted is not None:
            return
        if signum == signal.SIGHUP:
            _no_terminal()
        threading.Thread(target=leave_if_stuck, args=(signum,), daemon=True).start()
        app.interrupt(signum)

    for signum in SIGNALS:
        signal.signal(signum, signalled)
    result = await app.run_async()
    if app.interrupted is not None:
        # The screen is restored: say what the stopped work recorded, then end now,
        # without waiting for a thread still blocked in a network call (asyncio.run
        # would, for its executor's threads).
        name = signal.Signals(app.interrupted).name
        with suppress(OSError, ValueError):  # a dropped SSH session: no terminal left
            sys.stderr.write(f"depllc: stopped by {name}\n")
            for said in app.stopped_said:
                sys.stderr.write(outside_text.line(f"depllc: {said}") + "\n")
            sys.stderr.flush()
        ctx.close()
        leave_now(128 + app.interrupted)
    return result


def _no_terminal() -> None:
    """SIGHUP: the terminal hung up. Output goes to /dev/null from now on, so writing
    the screen neither fails nor blocks (the session's reads and modes are left to the
    terminal's own file descriptor)."""
    with suppress(OSError):
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        os.close(sink)
