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
TERMINAL_POLL = 0.5  # seconds between looks at whether the terminal is still there
# what ends the alternate screen, shows the cursor and stops mouse and focus reports
RESTORE_SCREEN = "\x1b[?1049l\x1b[?25h\x1b[?1004l\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"


def run_app(ctx: CommandContext) -> int:
    """Run the console; its exit code (1 when it stopped on an unhandled error, which
    Textual prints as it exits; 128 + the signal when SIGINT, SIGTERM or SIGHUP ended
    it, see `DepllcApp.interrupt`)."""
    import gc

    gc.disable()  # until the console is connected: see tui/app.py `_startup_heap_done`
    if ctx.args.sandbox:
        from core.sandbox import require_sandbox_extra

        require_sandbox_extra()  # one line and exit 2 on a lean install, before any screen
    from tui.app import DepllcApp

    # the settings are read by the app's startup worker, after the first frame
    app = DepllcApp(lambda: ctx.settings, sandbox=ctx.args.sandbox)
    result = asyncio.run(_run(app, ctx))
    if app.refused is not None:
        raise app.refused  # (depllc says it in one line)
    if app.return_code:
        return app.return_code
    return int(result or 0)


async def _run(app: DepllcApp, ctx: CommandContext) -> int | None:
    from tui import outside_text
    from tui.interrupts import SIGNALS, leave_now

    leaving = threading.Lock()

    def say_and_leave(signum: int, restore: bool) -> None:
        # Say what the stopped work recorded, then end now, without waiting for a thread
        # still blocked in a network call (asyncio.run would, for its executor's
        # threads). Whichever path comes first says it; the other waits for the exit.
        leaving.acquire()
        terminal = sys.__stderr__ or sys.stderr  # (while the app runs, Textual holds sys.stderr)
        with suppress(OSError, ValueError):  # a dropped SSH session: no terminal left
            if restore:  # Textual's shutdown is stuck: leave its screen ourselves
                terminal.write(RESTORE_SCREEN)
            terminal.write(f"depllc: stopped by {signal.Signals(signum).name}\n")
            for said in app.stopped_said:
                terminal.write(outside_text.line(f"depllc: {said}") + "\n")
            terminal.flush()
        if restore:  # (else the console closed its runtime as it ended)
            with suppress(Exception):
                if app.runtime is not None:
                    app.runtime.close()  # a lasting sandbox's store saved, its lock released
        ctx.close()
        leave_now(128 + signum)

    def leave_if_stuck(signum: int) -> None:
        # Textual restores the screen in a moment; with the terminal gone (a dropped SSH
        # session) its writes can fail and its shutdown wait for them forever
        app.stopped.wait()
        time.sleep(STUCK_AFTER)
        say_and_leave(signum, restore=True)

    def signalled(signum: int, _frame: object) -> None:
        # A Python signal handler, not the event loop's: it runs even while the loop is
        # blocked writing to a terminal that is gone
        if app.interrupted is not None:
            return
        if signum == signal.SIGHUP and not _terminal_alive(0):
            _no_terminal()  # (a `kill -HUP` with the terminal still there restores it)
        threading.Thread(target=leave_if_stuck, args=(signum,), daemon=True).start()
        app.interrupt(signum)

    def watch_terminal(fd: int) -> None:
        # When another process leads the terminal's session (`make run`, `ssh host -t
        # make run`), the kernel's SIGHUP goes to that leader alone as the terminal hangs
        # up: the console would be told nothing (and Textual spin on the dead terminal).
        while app.interrupted is None:
            time.sleep(TERMINAL_POLL)
            if not _terminal_alive(fd):
                os.kill(os.getpid(), signal.SIGHUP)  # as if the kernel had said it
                return

    for signum in SIGNALS:
        signal.signal(signum, signalled)
    if os.isatty(0):
        threading.Thread(target=watch_terminal, args=(0,), daemon=True).start()
    result = await app.run_async()
    if app.interrupted is not None:
        say_and_leave(app.interrupted, restore=False)  # the screen is restored
    return result


def _terminal_alive(fd: int) -> bool:
    """False once the terminal on `fd` has hung up (its calls fail with EIO)."""
    import termios

    try:
        termios.tcgetattr(fd)
    except termios.error:
        return False
    return True


def _no_terminal() -> None:
    """SIGHUP: the terminal hung up. Output goes to /dev/null from now on, so writing
    the screen neither fails nor blocks (the session's reads and modes are left to the
    terminal's own file descriptor)."""
    with suppress(OSError):
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        os.close(sink)
