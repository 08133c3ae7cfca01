"""Bulk sends: one SES template to many recipients, each with its own data, from a CSV
file (an `email` column and a column per template variable). SendBulkTemplatedEmail
at 50 destinations a call, one log per destination with its own SES MessageId."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import CancelledError, InputError, describe
from core.mail import pacing
from core.mail.send import (
    ABANDONED,
    INTERRUPTED,
    UNKNOWN_OUTCOME,
    apply_sent,
    audit_or_journal,
    check_tags,
    failed_update,
    insert_queued,
    sent_update,
    ses_address,
    unknown_update,
)
from core.mail.templates import Rendered, Template, get_template
from core.models import EMAIL_COLLECTION, EmailContent, EmailLog, RecipientStatus
from core.suppressions import refusals
from core.validation import EMAIL_CONSTANTS
from core.vocabulary import EmailCategory, EmailPriority, EmailStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

BATCH = EMAIL_CONSTANTS.SES_MAX_RECIPIENTS_PER_MESSAGE  # SES: 50 destinations a call
_SHOWN_ERRORS = 10


@dataclass(frozen=True)
class BulkRow:
    row: int  # as a spreadsheet counts: the header is row 1
    email: str
    data: dict[str, str]


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class DoneRow:
    """A row an earlier run of the same CSV already sent (or may have: its outcome is
    unknown), so this run skips it: nobody gets the message twice."""

    row: int
    email: str
    status: str
    log_id: str


@dataclass
class BulkPlan:
    template: Template
    rows: list[BulkRow]
    skipped: list[RowError]
    quota: pacing.Quota
    category: EmailCategory = EmailCategory.NOTIFICATION
    priority: EmailPriority = EmailPriority.NORMAL
    tags: dict[str, str] = field(default_factory=dict)
    # the template and the CSV's bytes: a re-run of the same file resumes this run
    run_key: str = ""
    already: list[DoneRow] = field(default_factory=list)

    @property
    def cost(self) -> float:
        return pacing.cost(len(self.rows))

    @property
    def seconds(self) -> float:
        """How long the send takes at the allowed rate."""
        return len(self.rows) / self.quota.rate


@dataclass
class Destination:
    row: int
    email: str
    log_id: str
    status: str = "queued"
    message_id: str | None = None
    error: str | None = None


@dataclass
class BulkResult:
    destinations: list[Destination]
    not_attempted: int = 0
    journaled: int = 0
    seconds: float = 0.0
    waited: float = 0.0  # of `seconds`, spent waiting for the send rate
    store_seconds: float = 0.0  # ... writing logs
    ses_seconds: float = 0.0  # ... in SES calls
    stopped: str | None = None
    not_sent_rows: list[int] = field(default_factory=list)  # rows never attempted

    def count(self, status: str) -> int:
        return sum(1 for d in self.destinations if d.status == status)

    @property
    def ok(self) -> bool:
        return self.not_attempted == 0 and all(d.status == "sent" for d in self.destinations)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sent": self.count("sent"),
            "failed": self.count("failed"),
            "unknown": self.count("unknown"),
            "notAttempted": self.not_attempted,
            "journaled": self.journaled,
            "seconds": round(self.seconds, 3),
            "waitedForRate": round(self.waited, 3),
            "stopped": self.stopped,
            "notSentRows": self.not_sent_rows,
            "messages": [
                {
                    "row": d.row,
                    "email": d.email,
                    "logId": d.log_id,
                    "status": d.status,
                    "messageId": d.message_id,
                    "error": d.error,
                }
                for d in self.destinations
            ],
        }


def row_spans(rows: list[int]) -> str:
    """CSV row numbers as ranges: 52-101, 140."""
    spans: list[str] = []
    start = prev = None
    for row in [*rows, None]:
        if row is not None and prev is not None and row == prev + 1:
            prev = row
            continue
        if start is not None:
            spans.append(f"{start}-{prev}" if prev != start else str(start))
        start = prev = row
    return ", ".join(spans)


def _errors_text(errors: list[RowError]) -> str:
    shown = "; ".join(str(e) for e in errors[:_SHOWN_ERRORS])
    more = len(errors) - _SHOWN_ERRORS
    return shown + (f"; and {more} more" if more > 0 else "")


def read_csv_text(path: str | Path) -> str:
    from core.validation import read_text_file

    return read_text_file(path, "CSV", encoding="utf-8-sig")  # a BOM from Excel is dropped


def parse_rows(text: str, template: Template) -> tuple[list[BulkRow], list[RowError]]:
    """Rows and the problems of each (by row number). A missing `email` column or a
    missing variable column is a problem of the whole file: raised at once."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("The CSV file is empty.") from None
    except csv.Error as exc:
        raise InputError(f"The CSV header cannot be read: {exc}") from None
    columns = [h.strip() for h in header]
    lowered = [c.lower() for c in columns]
    if "email" not in lowered:
        raise InputError(
            f"The CSV has no `email` column (columns: {', '.join(columns) or 'none'}).",
            "Name the recipients' column `email`.",
        )
    email_at = lowered.index("email")
    missing = [v for v in template.variables if v not in columns]
    if missing:
        raise InputError(
            f"The CSV has no column for template variable(s): {', '.join(missing)}.",
            f"Template {template.name!r} uses: {', '.join(template.variables)}.",
        )
    rows: list[BulkRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    number = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            errors.append(RowError(number, f"cannot be read ({exc})"))
            continue
        number += 1
        if not any(f.strip() for f in fields):
            continue  # a blank line
        if len(fields) != len(columns):
            errors.append(
                RowError(number, f"has {len(fields)} fields; the header has {len(columns)}")
            )
            continue
        try:
            email = ses_address(fields[email_at].strip())
        except InputError as exc:
            errors.append(RowError(number, exc.message))
            continue
        if email.lower() in seen:
            errors.append(RowError(number, f"{email} is already on row {seen[email.lower()]}"))
            continue
        data = {c: f for c, f in zip(columns, fields, strict=True) if c.lower() != "email"}
        empty = [v for v in template.variables if not data.get(v, "").strip()]
        if empty:
            errors.append(RowError(number, f"no value for {', '.join(empty)}"))
            continue
        seen[email.lower()] = number
        rows.append(BulkRow(row=number, email=email, data=data))
    return rows, errors


def plan(
    runtime: Runtime,
    template_name: str,
    csv_path: str | Path,
    *,
    skip_bad_rows: bool = False,
    category: EmailCategory = EmailCategory.NOTIFICATION,
    priority: EmailPriority = EmailPriority.NORMAL,
    tags: dict[str, str] | None = None,
    csv_text: str | None = None,
) -> BulkPlan:
    """Check the whole send before anything goes: template, CSV, suppressions, quota.
    With bad rows nothing is sent unless `skip_bad_rows`."""
    template = get_template(runtime, template_name)
    text = csv_text if csv_text is not None else read_csv_text(csv_path)
    rows, errors = parse_rows(text, template)
    key = run_key(template.name, text)
    by_email = {r.email.lower(): r for r in rows}
    for refusal in refusals(runtime.store, list(by_email)):
        row = by_email[refusal.email.lower()]
        errors.append(RowError(row.row, refusal.describe()))
    bad = {e.row for e in errors}
    errors.sort(key=lambda e: e.row)
    if errors and not skip_bad_rows:
        raise InputError(
            f"{len(errors)} bad row(s), nothing sent: {_errors_text(errors).rstrip('.')}.",
            "Fix the CSV, or pass --skip-bad-rows to send the others.",
        )
    rows = [r for r in rows if r.row not in bad]
    already = done_rows(runtime, key, rows)
    done = {d.row for d in already}
    rows = [r for r in rows if r.row not in done]
    if not rows and not already:
        raise InputError("No rows to send.", "The CSV needs at least one good row.")
    quota = pacing.get_quota(runtime)
    if len(rows) > quota.remaining_24h:
        raise InputError(
            f"{len(rows)} recipients exceed what is left of the 24-hour SES quota: "
            f"{quota.remaining_24h:.0f} of {quota.max_24h:.0f} "
            f"({quota.sent_24h:.0f} sent in the last 24 hours).",
            "Send fewer rows now, or ask AWS for a higher quota.",
        )
    return BulkPlan(
        template=template,
        rows=rows,
        skipped=errors,
        quota=quota,
        category=category,
        priority=priority,
        tags=check_tags(tags),
        run_key=key,
        already=already,
    )


def run_key(template_name: str, csv_text: str) -> str:
    """Names a bulk run: the same template and the same CSV are the same run."""
    import hashlib

    digest = hashlib.sha256(f"{template_name}\0{csv_text}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


def done_rows(runtime: Runtime, key: str, rows: list[BulkRow]) -> list[DoneRow]:
    """Rows of this run with a log that is not `failed`: sent (or delivered, bounced...),
    or queued with an unknown outcome. A failed row is sent again."""
    by_row = {r.row: r for r in rows}
    found: dict[int, DoneRow] = {}
    cursor = runtime.store.emaillogs.find(
        {"customData.bulkRun": key, "status": {"$ne": EmailStatus.FAILED.value}},
        {"customData.row": 1, "status": 1},
    )
    for doc in cursor:
        row = by_row.get(int((doc.get("customData") or {}).get("row", 0)))
        if row is not None and row.row not in found:
            found[row.row] = DoneRow(row.row, row.email, str(doc["status"]), str(doc["_id"]))
    return sorted(found.values(), key=lambda d: d.row)


def _content_bytes(rendered: Rendered) -> int:
    return sum(
        len((part or "").encode("utf-8"))
        for part in (rendered.subject, rendered.text, rendered.html)
    )


def _mime_overhead(runtime: Runtime, bulk_plan: BulkPlan) -> int:
    """Bytes a message adds around its content (headers, boundaries, encoding),
    measured once on the first row with the real MIME builder: SES renders and sizes
    each bulk message itself, so each log's size is its content plus this."""
    from core.mail.mime import Body, as_bytes, build_message

    row = bulk_plan.rows[0]
    rendered = bulk_plan.template.render_local(row.data)
    message = build_message(
        sender=ses_address(runtime.settings.from_email),
        to=[row.email],
        cc=[],
        subject=rendered.subject,
        body=Body(text=rendered.text or "", html=rendered.html),
        attachments=[],
    )
    return len(as_bytes(message)) - _content_bytes(rendered) - len(row.email)


def _log_for(
    runtime: Runtime, bulk_plan: BulkPlan, row: BulkRow, bulk_id: str, overhead: int, sender: str
) -> EmailLog:
    custom: dict[str, object] = {"bulkId": bulk_id, "row": row.row}
    if bulk_plan.run_key:
        custom["bulkRun"] = bulk_plan.run_key
    rendered = bulk_plan.template.render_local(row.data)
    return EmailLog(
        messageId=f"queued-{uuid.uuid4().hex}",
        to=[row.email],
        **{"from": sender},
        subject=rendered.subject,
        content=EmailContent(text=rendered.text, html=rendered.html),
        category=bulk_plan.category,
        priority=bulk_plan.priority,
        templateId=bulk_plan.template.name,
        templateData=dict(row.data),
        size=_content_bytes(rendered) + len(row.email) + overhead,
        tags=bulk_plan.tags or None,
        customData=custom,
        userId=runtime.crm_user_id,  # the CRM's per-user views; the login is `operator`
        operator=runtime.operator,
        recipientStatus=[RecipientStatus(email=row.email, status=EmailStatus.QUEUED)],
    )


def _call(runtime: Runtime, bulk_plan: BulkPlan, batch: list[BulkRow]) -> list[dict[str, Any]]:
    client = pacing.send_client(runtime, "ses")
    tags = {"category": bulk_plan.category.value, **bulk_plan.tags}
    params: dict[str, Any] = {
        "Source": ses_address(runtime.settings.from_email),
        "Template": bulk_plan.template.name,
        "DefaultTemplateData": json.dumps({}),
        "DefaultTags": [{"Name": k, "Value": v} for k, v in tags.items()],
        "Destinations": [
            {
                "Destination": {"ToAddresses": [row.email]},
                "ReplacementTemplateData": json.dumps(row.data),
            }
            for row in batch
        ],
    }
    if runtime.settings.aws_ses_reply_to:
        params["ReplyToAddresses"] = [ses_address(runtime.settings.aws_ses_reply_to)]
    if runtime.settings.ses_configuration_set:
        params["ConfigurationSetName"] = runtime.settings.ses_configuration_set
    status: list[dict[str, Any]] = client.send_bulk_templated_email(**params)["Status"]
    return status


def _write(runtime: Runtime, updates: list[tuple[Any, dict[str, Any]]]) -> int:
    """Apply a batch's per-log updates by _id in one round trip; if the store fails,
    journal them (each is a plain $set: replaying one that did apply is harmless).
    Returns how many went to the journal."""
    from pymongo import UpdateOne

    try:
        runtime.store.emaillogs.bulk_write(
            [UpdateOne({"_id": log_id}, update) for log_id, update in updates], ordered=False
        )
        return 0
    except Exception:
        from core.journal import Journal

        journal = Journal()
        for log_id, update in updates:
            journal.append(runtime.store.database, EMAIL_COLLECTION, {"_id": log_id}, update)
        return len(updates)


def send_bulk(
    runtime: Runtime,
    bulk_plan: BulkPlan,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    retry: pacing.RetryPolicy | None = None,
) -> BulkResult:
    """Send in calls of 50 at the allowed pace. A batch's logs are written before its
    call; a failed call stops the send (later rows are not attempted)."""
    return BulkSend(runtime, bulk_plan).run(progress=progress, cancel=cancel, retry=retry)


class BulkSend:
    """One bulk send. `run` sends (on a worker thread when it can be interrupted);
    when `cancel` is set it stops before the next call: the call in flight is waited
    for and recorded, the rows not sent are reported (`notAttempted`, resumable by
    running the same CSV again). If the call in flight does not come back in time,
    `abandon` (from another thread) records its logs' outcome as unknown, so they are
    never sent twice, and writes the audit entry."""

    def __init__(self, runtime: Runtime, bulk_plan: BulkPlan) -> None:
        self.runtime = runtime
        self.plan = bulk_plan
        self.bulk_id = uuid.uuid4().hex[:12]
        self.result = BulkResult(destinations=[])
        self._lock = threading.Lock()
        self._in_flight: list[tuple[Destination, EmailLog]] = []
        self._attempted = 0  # rows whose call was made (or failed to be)
        self._finished = False
        self._started = 0.0

    def run(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        retry: pacing.RetryPolicy | None = None,
    ) -> BulkResult:
        import time

        runtime, bulk_plan, result = self.runtime, self.plan, self.result
        self._started = time.monotonic()
        pacer = pacing.pacer_for(runtime)
        total = len(bulk_plan.rows)
        done = 0
        overhead = _mime_overhead(runtime, bulk_plan) if bulk_plan.rows else 0
        sender = ses_address(runtime.settings.from_email)
        for start in range(0, total, BATCH):
            batch = bulk_plan.rows[start : start + BATCH]
            if cancel is not None and cancel.is_set():
                result.stopped = INTERRUPTED
                break
            try:
                result.waited += pacer.acquire(len(batch), cancel)
            except CancelledError:
                result.stopped = INTERRUPTED
                break
            logs = [
                _log_for(runtime, bulk_plan, row, self.bulk_id, overhead, sender) for row in batch
            ]
            mark = time.monotonic()
            try:
                insert_queued(runtime, logs)
            except Exception as exc:
                result.stopped = describe(exc).text
                break
            dests = [
                Destination(row=row.row, email=row.email, log_id=str(log.id))
                for row, log in zip(batch, logs, strict=True)
            ]
            with self._lock:
                result.destinations += dests
                self._in_flight = list(zip(dests, logs, strict=True))
                self._attempted = start + len(batch)
            result.store_seconds += time.monotonic() - mark
            mark = time.monotonic()
            try:
                statuses = pacing.call_with_retries(
                    functools.partial(_call, runtime, bulk_plan, batch), retry
                )
            except Exception as exc:
                with self._lock:
                    if self._finished:
                        return result  # abandoned: the logs say the outcome is unknown
                    self._in_flight = []
                    self._failed_call(dests, logs, exc)
                break
            result.ses_seconds += time.monotonic() - mark
            mark = time.monotonic()
            with self._lock:
                if self._finished:
                    return result
                self._in_flight = []
                sent_logs = self._record(dests, logs, statuses)
            result.store_seconds += time.monotonic() - mark
            for log in sent_logs:
                with contextlib.suppress(Exception):  # a hook never makes a sent message an error
                    runtime.notify_sent(log)
            done += len(batch)
            if progress is not None:
                progress(done, total)
        with self._lock:
            if not self._finished:
                self._finish()
        return result

    def _failed_call(self, dests: list[Destination], logs: list[EmailLog], exc: Exception) -> None:
        reason = describe(exc).text
        unknown = pacing.outcome_unknown(exc)
        updates = []
        for dest, log in zip(dests, logs, strict=True):
            dest.status = "unknown" if unknown else "failed"
            dest.error = f"{UNKNOWN_OUTCOME} ({reason})" if unknown else reason
            updates.append(
                (log.id, unknown_update(reason) if unknown else failed_update(log, reason))
            )
        self.result.journaled += _write(self.runtime, updates)
        self.result.stopped = dests[0].error

    def _record(
        self, dests: list[Destination], logs: list[EmailLog], statuses: list[dict[str, Any]]
    ) -> list[EmailLog]:
        updates = []
        sent_logs: list[EmailLog] = []
        for dest, log, status in zip(dests, logs, statuses, strict=False):
            message_id = status.get("MessageId")
            if message_id and status.get("Status", "Success") == "Success":
                dest.status = "sent"
                dest.message_id = str(message_id)
                cost = pacing.cost(1)
                updates.append((log.id, sent_update(log, dest.message_id, cost)))
                if self.runtime.sent_hooks:
                    sent_logs.append(apply_sent(log, dest.message_id, cost))
            else:
                dest.status = "failed"
                dest.error = (
                    f"SES {status.get('Status', 'error')}: {status.get('Error', '')}".strip()
                )
                updates.append((log.id, failed_update(log, dest.error)))
        for dest, log in list(zip(dests, logs, strict=True))[len(statuses) :]:
            # SES answers each destination; if an answer is missing, a person checks
            dest.status = "unknown"
            dest.error = f"{UNKNOWN_OUTCOME} (no status for this destination)"
            updates.append((log.id, unknown_update("no status for this destination")))
        self.result.journaled += _write(self.runtime, updates)
        return sent_logs

    def abandon(self) -> BulkResult:
        """Stop waiting for a call still in flight (the process is ending): its logs'
        outcome is unknown (SES may have accepted them), the rest are not sent."""
        with self._lock:
            if not self._finished:
                updates = []
                for dest, log in self._in_flight:
                    dest.status = "unknown"
                    dest.error = f"{UNKNOWN_OUTCOME} ({ABANDONED})"
                    updates.append((log.id, unknown_update(ABANDONED)))
                self._in_flight = []
                if updates:
                    self.result.journaled += _write(self.runtime, updates)
                self.result.stopped = ABANDONED
                self._finish()
        return self.result

    def _finish(self) -> None:
        """Count what was not sent and write the audit entry (under the lock)."""
        import time

        self._finished = True
        result = self.result
        result.seconds = time.monotonic() - self._started
        rows = self.plan.rows
        result.not_attempted = len(rows) - self._attempted
        result.not_sent_rows = [r.row for r in rows[self._attempted :]]
        audit_or_journal(
            self.runtime,
            "send-bulk",
            self.plan.template.name,
            bulkId=self.bulk_id,
            bulkRun=self.plan.run_key,
            rows=len(rows) + len(self.plan.already),
            sent=result.count("sent"),
            failed=result.count("failed"),
            unknown=result.count("unknown"),
            notAttempted=result.not_attempted,
            alreadySent=[d.row for d in self.plan.already],
            stopped=result.stopped,
            skippedRows=[e.row for e in self.plan.skipped],
        )
