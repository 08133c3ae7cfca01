"""Open the TUI from the command line."""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import suppress
from typing import TYPE_CHECKING

from tui.cli.context import CommandContext

if TYPE_CHECKING:
    from tui.app import DepllcApp


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

    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, app.interrupt, signum)
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
        ctx.close()
        leave_now(128 + app.interrupted)
    return result
