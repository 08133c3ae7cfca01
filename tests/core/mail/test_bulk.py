"""Bulk sends from a CSV: one log per destination with its own MessageId, bad rows by
row number, --skip-bad-rows, suppressions, the daily quota."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from core import suppressions
from core.errors import InputError, NotFoundError
from core.mail import bulk
from core.models import EmailLog
from core.runtime import Runtime
from core.vocabulary import EmailStatus, SuppressionReason
from tests.core.mail.conftest import FAST_RETRY, client_error

HEADER = "email,name,invoice,amount,due\n"


def _csv(n: int, start: int = 0) -> str:
    return HEADER + "".join(
        f"client{i}@example.com,Client {i},INV-{i},${i}.00,1 Dec\n" for i in range(start, start + n)
    )


def _plan(runtime: Runtime, text: str, **kw: Any) -> bulk.BulkPlan:
    return bulk.plan(runtime, "invoice-reminder", "clients.csv", csv_text=text, **kw)


def test_bulk_send_one_log_per_destination(runtime: Runtime) -> None:
    hooked: list[EmailLog] = []
    runtime.sent_hooks.append(hooked.append)
    progress: list[tuple[int, int]] = []
    plan = _plan(runtime, _csv(120))
    result = bulk.send_bulk(runtime, plan, progress=lambda d, t: progress.append((d, t)))
    assert result.ok and result.count("sent") == 120
    assert progress == [(50, 120), (100, 120), (120, 120)]  # 3 calls of at most 50
    logs = [EmailLog.model_validate(d) for d in runtime.store.emaillogs.find()]
    assert len(logs) == 120
    assert len({log.messageId for log in logs}) == 120
    assert all(log.status == EmailStatus.SENT for log in logs)
    by_row = {log.customData["row"]: log for log in logs if log.customData}
    log = by_row[2]  # the first data row is spreadsheet row 2
    assert log.to == ["client0@example.com"]
    assert log.subject == "Invoice INV-0 is due on 1 Dec"
    assert log.templateData == {
        "name": "Client 0",
        "invoice": "INV-0",
        "amount": "$0.00",
        "due": "1 Dec",
    }
    assert log.cost == pytest.approx(0.0001)
    assert log.size > 0
    assert [e.type.value for e in log.events] == ["send"]
    assert len(hooked) == 120
    audit = runtime.store.auditlog.find_one({"action": "send-bulk"})
    assert audit and audit["details"]["sent"] == 120


def test_file_from_disk(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("\ufeff" + _csv(2), encoding="utf-8")  # Excel's BOM is fine
    plan = bulk.plan(runtime, "invoice-reminder", path)
    assert [r.email for r in plan.rows] == ["client0@example.com", "client1@example.com"]


def test_missing_csv_file(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="CSV file not found"):
        bulk.plan(runtime, "invoice-reminder", tmp_path / "nope.csv")


def test_csv_without_an_email_column(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="no `email` column"):
        _plan(runtime, "address,name\na@example.com,A\n")


def test_csv_without_a_variable_column(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="no column for template variable\\(s\\): amount"):
        _plan(runtime, "email,name,invoice,due\na@example.com,A,1,today\n")


def test_empty_csv(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="empty"):
        _plan(runtime, "")


def test_unknown_template(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        bulk.plan(runtime, "nope", "x.csv", csv_text=_csv(1))


BROKEN = (
    HEADER
    + "good1@example.com,A,1,$1,today\n"  # row 2
    + "not-an-address,B,2,$2,today\n"  # row 3
    + "good2@example.com,C,3\n"  # row 4: too few fields
    + "good1@example.com,D,4,$4,today\n"  # row 5: duplicate
    + "good3@example.com,E,,$5,today\n"  # row 6: empty variable
    + "good4@example.com,F,6,$6,today\n"  # row 7
)


def test_broken_rows_are_reported_by_number_and_nothing_is_sent(runtime: Runtime) -> None:
    with pytest.raises(InputError) as info:
        _plan(runtime, BROKEN)
    text = str(info.value)
    assert text.startswith("4 bad row(s), nothing sent: row 3: ")
    assert "row 4: has 3 fields; the header has 5" in text
    assert "row 5: good1@example.com is already on row 2" in text
    assert "row 6: no value for invoice" in text
    assert "--skip-bad-rows" in text
    assert runtime.store.emaillogs.count_documents({}) == 0


def test_skip_bad_rows_sends_the_good_ones(runtime: Runtime) -> None:
    plan = _plan(runtime, BROKEN, skip_bad_rows=True)
    assert [r.row for r in plan.rows] == [2, 7]
    assert [e.row for e in plan.skipped] == [3, 4, 5, 6]
    result = bulk.send_bulk(runtime, plan)
    assert result.count("sent") == 2
    audit = runtime.store.auditlog.find_one({"action": "send-bulk"})
    assert audit and audit["details"]["skippedRows"] == [3, 4, 5, 6]


def test_suppressed_rows_are_bad_rows(runtime: Runtime) -> None:
    suppressions.add(runtime.store, "client1@example.com", SuppressionReason.COMPLAINT, by="ses")
    with pytest.raises(InputError, match=r"row 3: client1@example.com is suppressed \(complaint"):
        _plan(runtime, _csv(3))
    plan = _plan(runtime, _csv(3), skip_bad_rows=True)
    assert [r.email for r in plan.rows] == ["client0@example.com", "client2@example.com"]


def test_larger_than_the_daily_quota_is_refused_with_numbers(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"ses_max_24h_send": 100})
    bulk.send_bulk(runtime, _plan(runtime, _csv(30)))
    with pytest.raises(InputError) as info:
        _plan(runtime, _csv(80, start=100))
    assert "80 recipients exceed what is left of the 24-hour SES quota: 70 of 100 (30 sent" in str(
        info.value
    )


def test_moto_quota_of_200_applies_without_the_setting(runtime: Runtime) -> None:
    with pytest.raises(InputError, match=r"201 recipients exceed .* 200 of 200"):
        _plan(runtime, _csv(201))


def test_throttled_call_is_retried(runtime: Runtime, flaky_ses: Callable[..., Any]) -> None:
    flaky = flaky_ses(
        "ses",
        "send_bulk_templated_email",
        [client_error("Throttling", op="SendBulkTemplatedEmail")],
    )
    result = bulk.send_bulk(runtime, _plan(runtime, _csv(3)), retry=FAST_RETRY)
    assert result.ok and flaky.calls == 2


def test_a_failed_call_fails_its_logs_and_stops(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky_ses(
        "ses",
        "send_bulk_templated_email",
        [
            client_error(
                "MessageRejected", "Email address is not verified.", op="SendBulkTemplatedEmail"
            )
        ],
    )
    result = bulk.send_bulk(runtime, _plan(runtime, _csv(70)), retry=FAST_RETRY)
    assert result.count("failed") == 50
    assert result.not_attempted == 20
    assert runtime.store.emaillogs.count_documents({"status": "failed"}) == 50
    assert runtime.store.emaillogs.count_documents({}) == 50  # later rows: no log, no send
    assert not result.ok


def test_timeout_marks_the_batch_unknown(runtime: Runtime, flaky_ses: Callable[..., Any]) -> None:
    flaky = flaky_ses(
        "ses", "send_bulk_templated_email", [ReadTimeoutError(endpoint_url="https://email")]
    )
    result = bulk.send_bulk(runtime, _plan(runtime, _csv(5)), retry=FAST_RETRY)
    assert flaky.calls == 1
    assert result.count("unknown") == 5
    assert (
        runtime.store.emaillogs.count_documents(
            {"status": "queued", "customData.outcome": "unknown"}
        )
        == 5
    )


def test_per_destination_rejection(
    runtime: Runtime, flaky_ses: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SES answers per destination: one rejected row fails alone."""
    real_call = bulk._call

    def partial(
        rt: Runtime, plan: bulk.BulkPlan, batch: list[bulk.BulkRow]
    ) -> list[dict[str, Any]]:
        status = real_call(rt, plan, batch)
        status[1] = {"Status": "MessageRejected", "Error": "Address blacklisted."}
        return status

    monkeypatch.setattr(bulk, "_call", partial)
    result = bulk.send_bulk(runtime, _plan(runtime, _csv(3)))
    assert [d.status for d in result.destinations] == ["sent", "failed", "sent"]
    failed = runtime.store.emaillogs.find_one({"status": "failed"})
    assert failed and "Address blacklisted" in failed["error"]


def test_cancel_stops_before_the_next_call(runtime: Runtime) -> None:
    import threading

    cancel = threading.Event()
    plan = _plan(runtime, _csv(120))
    result = bulk.send_bulk(runtime, plan, cancel=cancel, progress=lambda d, t: cancel.set())
    assert result.count("sent") == 50
    assert result.not_attempted == 70 and result.stopped == "interrupted before sending"
    assert result.not_sent_rows == list(range(52, 122))  # rows 2-51 went (row 1: header)
    (audit,) = runtime.store.auditlog.find({"action": "send-bulk"})
    assert audit["details"]["notAttempted"] == 70
    assert audit["details"]["stopped"] == "interrupted before sending"


def test_rerunning_the_csv_resumes_without_sending_anyone_twice(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, defect 5: the re-run skips the rows the interrupted run sent."""
    import threading

    given: list[str] = []  # every address handed to SES
    real_call = bulk._call

    def counting(rt: Runtime, plan: bulk.BulkPlan, batch: list[bulk.BulkRow]) -> Any:
        given.extend(row.email for row in batch)
        return real_call(rt, plan, batch)

    monkeypatch.setattr(bulk, "_call", counting)
    cancel = threading.Event()
    text = _csv(120)
    first = bulk.send_bulk(
        runtime, _plan(runtime, text), cancel=cancel, progress=lambda d, t: cancel.set()
    )
    assert first.count("sent") == 50 and len(given) == 50
    again = _plan(runtime, text)
    assert [d.row for d in again.already] == list(range(2, 52))
    assert {d.status for d in again.already} == {"sent"}
    assert [r.row for r in again.rows] == list(range(52, 122))
    second = bulk.send_bulk(runtime, again)
    assert second.ok and second.count("sent") == 70
    assert sorted(given) == sorted(f"client{i}@example.com" for i in range(120))  # once each
    sent = list(runtime.store.emaillogs.find({"status": "sent"}, {"to": 1}))
    assert sorted(d["to"][0] for d in sent) == sorted(f"client{i}@example.com" for i in range(120))
    finished = _plan(runtime, text)
    assert finished.rows == [] and len(finished.already) == 120
    # another CSV (or another template) is another run
    key = bulk.run_key("invoice-reminder", text)
    assert key == again.run_key != bulk.run_key("invoice-reminder", text + "\n")
    assert key != bulk.run_key("welcome-client", text)


def test_a_resumed_run_sends_failed_rows_again_but_never_unknown_ones(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_call = bulk._call

    def mixed(rt: Runtime, plan: bulk.BulkPlan, batch: list[bulk.BulkRow]) -> Any:
        status = real_call(rt, plan, batch[:1])  # only the first is sent
        return [*status, {"Status": "MessageRejected", "Error": "no"}]  # 2nd failed, 3rd: ?

    monkeypatch.setattr(bulk, "_call", mixed)
    text = _csv(3)
    first = bulk.send_bulk(runtime, _plan(runtime, text))
    assert [d.status for d in first.destinations] == ["sent", "failed", "unknown"]
    monkeypatch.setattr(bulk, "_call", real_call)
    again = _plan(runtime, text)
    assert [(d.row, d.status) for d in again.already] == [(2, "sent"), (4, "queued")]
    assert [r.row for r in again.rows] == [3]


def test_abandoning_a_call_in_flight_leaves_its_outcome_unknown(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal while SES has not answered (past the grace period): the batch is
    `unknown` (never re-sent by a resume), the audit entry is written."""
    import threading

    calling, release = threading.Event(), threading.Event()
    real_call = bulk._call

    def slow(rt: Runtime, plan: bulk.BulkPlan, batch: list[bulk.BulkRow]) -> Any:
        status = real_call(rt, plan, batch)
        calling.set()
        release.wait(10)
        return status

    monkeypatch.setattr(bulk, "_call", slow)
    text = _csv(3)
    sender = bulk.BulkSend(runtime, _plan(runtime, text))
    worker = threading.Thread(target=sender.run)
    worker.start()
    assert calling.wait(10)
    result = sender.abandon()
    release.set()
    worker.join(10)
    assert [d.status for d in result.destinations] == ["unknown"] * 3
    assert runtime.store.emaillogs.count_documents({"customData.outcome": "unknown"}) == 3
    assert runtime.store.emaillogs.count_documents({"status": "sent"}) == 0
    assert runtime.store.auditlog.count_documents({"action": "send-bulk"}) == 1
    monkeypatch.setattr(bulk, "_call", real_call)
    assert _plan(runtime, text).rows == []


def test_store_down_before_a_batch_sends_nothing_more(
    runtime: Runtime, break_store: Callable[[str, set[str]], None]
) -> None:
    plan = _plan(runtime, _csv(3))
    break_store("emaillogs", {"insert_many", "insert_one"})
    result = bulk.send_bulk(runtime, plan)
    assert result.count("sent") == 0 and result.not_attempted == 3
    assert result.stopped and "nothing was sent" in result.stopped
    from tests.core.mail.conftest import ses_sent

    assert ses_sent(runtime) == 0


def test_store_down_after_ses_accepted_goes_to_the_journal(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.db import Store
    from core.journal import Journal
    from tests.conftest import server_like
    from tests.core.mail.conftest import BrokenCollection

    runtime.store = server_like(runtime.store)
    prop = Store.emaillogs
    state = {"down": False}

    def logs(self: Store) -> Any:
        real = prop.fget(self)  # type: ignore[attr-defined]
        return BrokenCollection(real, {"update_one", "bulk_write"}) if state["down"] else real

    monkeypatch.setattr(Store, "emaillogs", property(logs))
    real_call = bulk._call

    def call_then_fail(rt: Runtime, plan: bulk.BulkPlan, batch: list[bulk.BulkRow]) -> Any:
        status = real_call(rt, plan, batch)
        state["down"] = True  # MongoDB goes away once SES has accepted the batch
        return status

    monkeypatch.setattr(bulk, "_call", call_then_fail)
    result = bulk.send_bulk(runtime, _plan(runtime, _csv(3)))
    assert result.count("sent") == 3 and result.journaled == 3
    state["down"] = False
    assert runtime.store.emaillogs.count_documents({"status": "queued"}) == 3
    report = Journal().replay(runtime.store)
    assert (report.applied, report.pending) == (3, 0)
    ids = {d.message_id for d in result.destinations}
    docs = list(runtime.store.emaillogs.find({"status": "sent"}))
    assert {d["messageId"] for d in docs} == ids


def test_unverified_sender_fails_every_row(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"aws_ses_from_email": "someone@unverified.example"}
    )
    result = bulk.send_bulk(runtime, _plan(runtime, _csv(2)))
    assert result.count("failed") == 2
    doc = runtime.store.emaillogs.find_one({"status": "failed"})
    assert doc and "MessageRejected" in doc["error"]


def test_each_call_takes_its_recipients_from_the_pacer(
    runtime: Runtime, pacer_takes: list[int]
) -> None:
    bulk.send_bulk(runtime, _plan(runtime, _csv(120)))
    assert pacer_takes == [50, 50, 20]
