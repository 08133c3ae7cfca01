"""The SQS consumer: long-poll (20 s), up to 10 messages at a time, apply each, and
delete a message only once its store write succeeded. A message whose write failed
stays on the queue: SQS redelivers it after its visibility timeout (and moves it to
the dead-letter queue after the queue's maxReceiveCount, when one is configured).

Memory is constant: one batch is held at a time, and nothing is kept between batches
but counters. In `run`, a batch's DeleteMessageBatch goes out on a helper thread while
the next batch is received and applied (it carries only receipt handles), so the SQS
round trip of the delete does not stall the stream; at most one delete is in flight,
and `run` waits for it before returning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.db import Store
from core.errors import describe
from core.events.apply import (
    Outcome,
    Result,
    is_store_outage,
    process_bodies,
    rematch_unmatched,
)
from core.models import utcnow
from core.wording import counted

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 20
BATCH_SIZE = 10  # SQS's maximum per ReceiveMessage
REMATCH_EVERY_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class ConsumerStats:
    started_at: datetime = field(default_factory=utcnow)
    last_poll: datetime | None = None
    polls: int = 0
    received: int = 0
    applied: int = 0
    duplicates: int = 0
    set_aside: int = 0
    unmatched: int = 0
    rematched: int = 0
    failed: int = 0
    suppressed: int = 0
    last_error: str | None = None

    def count(self, result: Result) -> None:
        if result.outcome == Outcome.APPLIED:
            self.applied += 1
        elif result.outcome == Outcome.DUPLICATE:
            self.duplicates += 1
        elif result.outcome == Outcome.SET_ASIDE:
            self.set_aside += 1
        elif result.reason is None:  # a repeat of a kept unmatched event is not counted
            self.unmatched += 1
        self.suppressed += len(result.suppressed)

    def summary(self) -> str:
        """`last poll 12:03:04 · 35 applied · 1 set aside` (local time)."""
        when = self.last_poll.astimezone().strftime("%H:%M:%S") if self.last_poll else "never"
        parts = [f"last poll {when}", f"{self.applied} applied"]
        if self.duplicates:
            parts.append(counted(self.duplicates, "duplicate"))
        if self.unmatched:
            parts.append(f"{self.unmatched} unmatched")
        parts.append(f"{self.set_aside} set aside")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "last_poll"):
            value = data[key]
            data[key] = value.isoformat() if isinstance(value, datetime) else None
        return data


@dataclass
class BatchReport:
    """What one poll did. `results` pairs with the messages that were applied."""

    received: int = 0
    results: list[Result] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    left_on_queue: int = 0
    outage: bool = False

    @property
    def changed_message_ids(self) -> list[str]:
        """Logs that changed (applied events), in order, without repeats."""
        seen: dict[str, None] = {}
        for r in self.results:
            if r.outcome == Outcome.APPLIED and r.message_id:
                seen.setdefault(r.message_id, None)
        return list(seen)


class EventConsumer:
    """Consume one SES events queue into one store."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        store: Store,
        *,
        wait_seconds: int = LONG_POLL_SECONDS,
        batch_size: int = BATCH_SIZE,
        visibility_timeout: int | None = None,
        rematch_every: float = REMATCH_EVERY_SECONDS,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.store = store
        self.wait_seconds = wait_seconds
        self.batch_size = max(1, min(BATCH_SIZE, batch_size))
        self.visibility_timeout = visibility_timeout
        self.rematch_every = rematch_every
        self.stats = ConsumerStats()
        self._last_rematch = 0.0
        self._deleter: ThreadPoolExecutor | None = None
        self._deleting: Future[list[str]] | None = None

    def poll_once(
        self, wait_seconds: int | None = None, *, defer_delete: bool = False
    ) -> BatchReport:
        """Receive one batch, apply it, delete what was applied. Raises only when SQS
        itself fails (receive); store failures are reported in the batch. With
        `defer_delete` the delete runs on a helper thread and this returns at once;
        its failures are reported with the next batch (or by `finish_deletes`)."""
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": self.batch_size,
            "WaitTimeSeconds": self.wait_seconds if wait_seconds is None else wait_seconds,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }
        if self.visibility_timeout is not None:
            request["VisibilityTimeout"] = self.visibility_timeout
        response = self.sqs.receive_message(**request)
        self.stats.polls += 1
        self.stats.last_poll = utcnow()
        messages: list[dict[str, Any]] = response.get("Messages") or []
        report = BatchReport(received=len(messages))
        self.stats.received += len(messages)
        done: list[dict[str, str]] = []
        outcomes = process_bodies(self.store, [m.get("Body") or "" for m in messages])
        for index, (message, outcome) in enumerate(zip(messages, outcomes, strict=True)):
            if isinstance(outcome, Exception):
                text = describe(outcome).text
                report.left_on_queue += 1
                self.stats.failed += 1
                if not report.failures or report.failures[-1] != text:
                    report.failures.append(text)
                self.stats.last_error = text
                report.outage = report.outage or is_store_outage(outcome)
                log.info("event left on the queue: %s", text)
                continue
            report.results.append(outcome)
            self.stats.count(outcome)
            done.append({"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]})
        del outcomes
        del messages, response  # one batch at a time
        report.failures += self.finish_deletes()
        if done and defer_delete:
            if self._deleter is None:
                self._deleter = ThreadPoolExecutor(1, thread_name_prefix="sqs-delete")
            self._deleting = self._deleter.submit(self._delete, done)
        elif done:
            report.failures += self._delete(done)
        return report

    def finish_deletes(self) -> list[str]:
        """Wait for the delete in flight, if any; its failures (one line each)."""
        pending, self._deleting = self._deleting, None
        return pending.result() if pending is not None else []

    def _delete(self, entries: list[dict[str, str]]) -> list[str]:
        """Delete applied messages. Applied but not deleted is safe: the redelivery
        is recognised as a duplicate. Never raises."""
        try:
            response = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except Exception as exc:
            text = describe(exc).text
            self.stats.last_error = text
            return [f"delete failed: {text}"]
        return [
            f"delete failed: {failed.get('Message') or failed.get('Code')}"
            for failed in response.get("Failed") or []
        ]

    def rematch_if_due(self, force: bool = False) -> list[str]:
        """Apply kept unmatched events whose log has appeared (at most every
        `rematch_every` seconds); return the message ids of logs that changed."""
        now = time.monotonic()
        if not force and now - self._last_rematch < self.rematch_every:
            return []
        self._last_rematch = now
        found = rematch_unmatched(self.store)
        self.stats.rematched += found.applied
        self.stats.applied += found.applied
        return found.message_ids

    def run(
        self,
        stop: threading.Event,
        on_batch: Callable[[BatchReport], None] | None = None,
        until_empty: bool = False,
        max_messages: int | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> ConsumerStats:
        """Poll until `stop` is set (or the queue is empty with `until_empty`, or
        `max_messages` were received). SQS and store errors back off and retry;
        `on_error` hears about a failed poll (the message is `describe`'s line)."""
        try:
            return self._run(stop, on_batch, until_empty, max_messages, on_error)
        finally:
            for text in self.finish_deletes():
                log.info("%s", text)
                if on_error is not None:
                    on_error(text)
            if self._deleter is not None:
                self._deleter.shutdown()
                self._deleter = None

    def _run(
        self,
        stop: threading.Event,
        on_batch: Callable[[BatchReport], None] | None,
        until_empty: bool,
        max_messages: int | None,
        on_error: Callable[[str], None] | None,
    ) -> ConsumerStats:
        backoff = 1.0
        while not stop.is_set():
            try:
                report = self.poll_once(defer_delete=True)
            except Exception as exc:
                if stop.is_set():
                    break
                self.stats.last_error = describe(exc).text
                log.info("polling the events queue failed: %s", self.stats.last_error)
                if until_empty:
                    raise
                if on_error is not None:
                    on_error(self.stats.last_error)
                stop.wait(backoff)
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
                continue
            try:
                rematched = self.rematch_if_due()
            except Exception as exc:
                rematched = []
                report.failures.append(f"re-matching kept events failed: {describe(exc).text}")
            report.results += [Result(Outcome.APPLIED, "rematch", mid) for mid in rematched]
            if on_batch is not None:
                on_batch(report)
            if report.outage:
                stop.wait(backoff)
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
            else:
                backoff = 1.0
            if until_empty and report.received == 0:
                break
            if max_messages is not None and self.stats.received >= max_messages:
                break
        return self.stats
