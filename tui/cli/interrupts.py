"""Signals on the command line: SIGINT (Ctrl+C), SIGTERM and SIGHUP (a dropped SSH
session) all stop a command the same way, so a send or a transfer records what it
did and cleans up before the process ends, within 2 seconds, with exit code 128 +
the signal's number. Without this SIGTERM and SIGHUP end the process on the spot
(leaving `.part` files and logs `queued`).

Long work runs on a helper thread (`in_background`) while the main thread waits
for a signal; on one, the work's cancel event is set and it gets `GRACE` seconds
to finish what it is doing and record it."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE = 1.0  # seconds the work gets to stop cleanly after a signal


class Interrupted(KeyboardInterrupt):
    """A signal stopped the command."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def exit_code(exc: KeyboardInterrupt) -> int:
    return exc.exit_code if isinstance(exc, Interrupted) else 128 + signal.SIGINT


@contextmanager
def raising_signals() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise `Interrupted` in the main thread
    (once: a second signal during the clean-up is ignored, so the clean-up finishes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if raised.is_set():
            return
        raised.set()
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@dataclass
class Outcome(Generic[T]):
    value: T | None = None
    error: BaseException | None = None
    interrupted: KeyboardInterrupt | None = None
    finished: bool = True  # False: still running after the grace period (abandoned)

    def get(self) -> T:
        """The value, or raise what stopped the work (the error, else the signal)."""
        if self.error is not None:
            raise self.error
        if self.value is None:
            raise self.interrupted or RuntimeError("the work returned nothing")
        return self.value


def in_background(run: Callable[[threading.Event], T], grace: float = GRACE) -> Outcome[T]:
    """Run `run(cancel)` on a helper thread and wait for it. On a signal the cancel
    event is set and the work gets `grace` seconds to stop and record what it did."""
    cancel = threading.Event()
    done = threading.Event()
    outcome: Outcome[T] = Outcome()

    def target() -> None:
        try:
            outcome.value = run(cancel)
        except BaseException as exc:
            outcome.error = exc
        finally:
            done.set()

    # Waited for on an Event, not Thread.join: a signal raised inside join() marks a
    # running thread as stopped (CPython bpo-45274), and the clean-up is not waited for.
    threading.Thread(target=target, name="depllc-work", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt as exc:
        outcome.interrupted = exc
        cancel.set()
        outcome.finished = done.wait(grace)
    return outcome


def leave_now(code: int) -> None:
    """End the process at once (after an interrupt): flush what was printed, skip the
    interpreter's wait for threads still blocked in a network call."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
