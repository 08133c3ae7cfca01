"""Signals, for both front ends: SIGINT (Ctrl+C), SIGTERM and SIGHUP (a dropped SSH
session) stop a send or a transfer the same way, so it records what it did and cleans
up before the process ends, within 2 seconds, with exit code 128 + the signal's number.
Without this SIGTERM and SIGHUP end the process on the spot (leaving `.part` files and
logs `queued`).

The one mechanism is core's: a `cancel` event the send or transfer checks between its
steps, `GRACE` seconds for it to finish what it is doing and record it, then its
`abandon` (core.mail.send.abandon_delivery, core.mail.bulk.BulkSend.abandon) for a call
that has still not come back. `Work` is one such piece of work. The command line runs
its one piece on a helper thread (`in_background`) while the main thread waits for a
signal; the console registers each send and transfer its workers run in `Running`,
which its signal handler stops (tui/app.py)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from core.mail.bulk import BulkResult
    from core.mail.send import SendResult

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


class Work:
    """One send or transfer that a signal may stop: the core call gets `cancel`; `done`
    is set once it has returned (what it did is recorded); `abandon` records what a
    call still in flight past the grace period leaves (lines saying so); `said` holds
    the lines the work's own summary adds (the console prints them as it ends)."""

    def __init__(
        self,
        abandon: Callable[[], list[str]] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.cancel = cancel or threading.Event()
        self.done = threading.Event()
        self.abandon = abandon
        self.said: list[str] = []

    def stop(self, grace: float = GRACE) -> bool:
        """Ask the work to stop; True if it finished within `grace` seconds."""
        self.cancel.set()
        return self.done.wait(grace)


class Running:
    """The console's sends and transfers in progress (each worker registers its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._works: list[Work] = []

    @contextmanager
    def work(
        self,
        abandon: Callable[[], list[str]] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[Work]:
        """Register a work while the block runs the core call (on a worker thread)."""
        work = Work(abandon, cancel)
        with self._lock:
            self._works.append(work)
        try:
            yield work
        finally:
            work.done.set()
            with self._lock:
                self._works.remove(work)

    def __len__(self) -> int:
        with self._lock:
            return len(self._works)

    def stop(self, grace: float = GRACE) -> list[str]:
        """Stop every work: cancel them all, give them `grace` seconds together, then
        abandon those still running. Returns what each said (its summary, or what its
        abandon recorded)."""
        with self._lock:
            works = list(self._works)
        for work in works:
            work.cancel.set()
        deadline = time.monotonic() + grace
        said: list[str] = []
        for work in works:
            if not work.done.wait(max(0.0, deadline - time.monotonic())) and work.abandon:
                said += work.abandon()
            said += work.said
        return said


def in_background(run: Callable[[threading.Event], T], grace: float = GRACE) -> Outcome[T]:
    """Run `run(cancel)` on a helper thread and wait for it. On a signal the cancel
    event is set and the work gets `grace` seconds to stop and record what it did."""
    work = Work()
    outcome: Outcome[T] = Outcome()

    def target() -> None:
        try:
            outcome.value = run(work.cancel)
        except BaseException as exc:
            outcome.error = exc
        finally:
            work.done.set()

    # Waited for on an Event, not Thread.join: a signal raised inside join() marks a
    # running thread as stopped (CPython bpo-45274), and the clean-up is not waited for.
    threading.Thread(target=target, name="depllc-work", daemon=True).start()
    try:
        while not work.done.wait(0.1):
            pass
    except KeyboardInterrupt as exc:
        outcome.interrupted = exc
        outcome.finished = work.stop(grace)
    return outcome


def leave_now(code: int) -> None:
    """End the process at once (after an interrupt): flush what was printed, skip the
    interpreter's wait for threads still blocked in a network call."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


# --- what a stopped send or transfer says (the console prints it as it ends) ---------


def send_said(result: SendResult) -> list[str]:
    """One line per log of a send: sent with its SES MessageId, or why not."""
    return [
        f"log {o.log_id}: sent, SES MessageId {o.message_id}"
        if o.status == "sent"
        else f"log {o.log_id}: {o.status}: {o.error or 'not sent'}"
        for o in result.outcomes
    ]


def bulk_said(result: BulkResult) -> list[str]:
    """A bulk send's counts, and how to send the rows it did not reach."""
    from core.mail.bulk import row_spans

    said = [
        f"bulk send: sent {result.count('sent')}, failed {result.count('failed')}, "
        f"unknown {result.count('unknown')}"
        + (f"; stopped: {result.stopped}" if result.stopped else "")
    ]
    if result.not_attempted:
        said.append(
            f"bulk send: not sent {result.not_attempted} (rows "
            f"{row_spans(result.not_sent_rows)}): send the same CSV again to send the rest; "
            "rows already sent are skipped."
        )
    return said
