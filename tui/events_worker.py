"""The SES events worker of the TUI: runs the queue consumer (core.events.consumer)
in a background thread while the app is open, shows its progress in the header
(`events: last poll 12:03:04 · 35 applied · 1 set aside`), warns there when the
bounce or complaint rate is near SES's thresholds, and posts `LogsChanged` so the
screens showing those logs update in place.

Why a plain daemon thread rather than a Textual thread worker: a long poll blocks for
up to 20 s, and Textual waits for its worker threads on exit; this thread is told to
stop and simply left to finish its poll (nothing is lost: a message is deleted from
the queue only after its store write, so an interrupted batch is redelivered).
Everything it tells the app goes through `post_message`/`call_later`, which are
thread-safe and never block on the UI.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from core.events.apply import Outcome
from core.events.consumer import LONG_POLL_SECONDS, BatchReport, ConsumerStats, EventConsumer
from core.ses_thresholds import Level
from core.vocabulary import EmailEventType
from tui.messages import LogsChanged

if TYPE_CHECKING:
    from core.events.rates import Rates
    from core.runtime import Runtime
    from tui.app import DepllcApp

RATES_EVERY_SECONDS = 60.0
STATUS_PREFIX = "events: "


class EventsWorker:
    """One consumer thread for the app's lifetime."""

    def __init__(
        self,
        app: DepllcApp,
        runtime: Runtime,
        queue_url: str,
        wait_seconds: int = LONG_POLL_SECONDS,
        rates_every: float = RATES_EVERY_SECONDS,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.consumer = EventConsumer(
            runtime.aws.sqs, queue_url, runtime.store, wait_seconds=wait_seconds
        )
        self.rates_every = rates_every
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="depllc-ses-events", daemon=True)
        self.warning: str = ""  # the header warning this worker set, if any
        self.rates: Rates | None = None
        self._last_rates = 0.0
        self._last_error: str | None = None

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.stop_event.is_set()

    def start(self) -> None:
        self._show_status(
            f"{STATUS_PREFIX}listening (long poll {self.consumer.wait_seconds} s)",
            f"{STATUS_PREFIX}listening",
        )
        self.thread.start()

    def stop(self) -> None:
        """Ask the thread to stop; returns at once (see the module docstring)."""
        self.stop_event.set()

    # --- in the thread ----------------------------------------------------------

    def _run(self) -> None:
        self._check_rates(force=True)
        self.consumer.run(self.stop_event, on_batch=self._on_batch, on_error=self._on_error)

    def _on_error(self, text: str) -> None:
        """Polling failed (queue gone, no permission, network): say so and retry."""
        if self.stop_event.is_set():
            return
        self._show_status(
            f"{STATUS_PREFIX}cannot poll, retrying · {self.consumer.stats.summary()}",
            f"{STATUS_PREFIX}cannot poll",
        )
        if text != self._last_error:
            self._last_error = text
            self.app.call_later(self._report, text)

    def _on_batch(self, report: BatchReport) -> None:
        if self.stop_event.is_set():
            return
        changed = report.changed_message_ids
        if changed:
            self.app.post_message(LogsChanged(changed))
        feedback = any(
            r.outcome == Outcome.APPLIED
            and r.type in (EmailEventType.BOUNCE, EmailEventType.COMPLAINT)
            for r in report.results
        )
        self._check_rates(force=feedback)
        stats = self.consumer.stats
        if not report.failures:
            self._last_error = None  # recovered: the next problem is reported again
        elif stats.last_error and stats.last_error != self._last_error:
            self._last_error = stats.last_error
            self.app.call_later(self._report, stats.last_error)
        self._show_status(STATUS_PREFIX + stats.summary(), short_status(stats))

    def _check_rates(self, force: bool = False) -> None:
        from core.events.rates import rolling_rates

        now = time.monotonic()
        if not force and now - self._last_rates < self.rates_every:
            return
        self._last_rates = now
        try:
            self.rates = rolling_rates(self.runtime.store)
        except Exception:  # the store is down: the consumer reports that
            return
        warning = self.rates.warning()
        self.app.call_later(self._show_warning, warning or "", short_warning(self.rates))

    def _show_status(self, text: str, short: str) -> None:
        self.app.call_later(self.app.set_header, status=text, status_short=short)

    # --- on the app's thread (via call_later) ----------------------------------

    def _show_warning(self, warning: str, short: str) -> None:
        current = self.app.header.warning
        if current and current != self.warning:
            return  # someone else's warning is showing: do not overwrite it
        self.warning = warning
        self.app.set_header(warning=warning, warning_short=short if warning else "")

    def _report(self, text: str) -> None:
        self.app.notify(
            f"{text} Events stay on the queue; the console keeps retrying.",
            title="SES events",
            severity="warning",
            timeout=12,
        )


def short_status(stats: ConsumerStats) -> str:
    """The status for a narrow header: `events 12:03:04 · 35 applied`."""
    when = stats.last_poll.astimezone().strftime("%H:%M:%S") if stats.last_poll else "never"
    failed = f" · {stats.failed} failed" if stats.failed else ""
    return f"events {when} · {stats.applied} applied{failed}"


def short_warning(rates: Rates) -> str:
    """The rates warning for a narrow header: `SES: bounces 4.1% · complaints 0.12%`
    (only the rates near or over SES's thresholds; "" when none is)."""
    parts = []
    if rates.bounce_level != Level.OK:
        parts.append(f"bounces {rates.bounce_rate:.1%}")
    if rates.complaint_level != Level.OK:
        parts.append(f"complaints {rates.complaint_rate:.2%}")
    return f"SES: {' · '.join(parts)}" if parts else ""


def start_events_worker(app: DepllcApp, runtime: Runtime) -> EventsWorker | None:
    """Start consuming when SES_EVENTS_QUEUE_URL is set (the sandbox sets it)."""
    url = runtime.settings.ses_events_queue_url
    if not url:
        return None
    worker = EventsWorker(app, runtime, url, wait_seconds=LONG_POLL_SECONDS)
    worker.start()
    return worker
