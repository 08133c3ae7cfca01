"""Issue 12: SIGINT, SIGTERM or SIGHUP (a dropped SSH session) while the console sends or
transfers end it at once (2 s, benchmarks/interrupts.py), as on the command line: every
message SES accepted is `sent` with its id, every one not sent says why, no `.part` file
is left, an upload's record is `failed` and its multipart upload aborted.
`DepllcApp.interrupt` is the handler tui/launch.py installs for the three signals; these
tests call it as the signal would, mid-call, and look at the store and the disk
afterwards."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from core.files.transfer import MiB
from core.mail import bulk
from core.mail import send as mail
from core.runtime import Runtime
from tests.core.mail.conftest import make_request
from tests.core.mail.conftest import stored_file as stored_file  # the fixture
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.confirm import ConfirmAction
from tui.screens.compose import ComposeScreen
from tui.screens.files import FilesScreen

SIZE = (120, 40)
# Seconds from the signal to the end. The issue asks 2 s, measured on a quiet machine by
# benchmarks/interrupts.py; the suite allows 4 s so a loaded CI box does not fail it, and
# still fails a console that waits for SES's slow answer (5 s) or a stalled transfer.
BOUND = 4.0


SIGNALLED = threading.Event()  # set once the test has delivered its signal


async def stopped_by(pilot: Any, app: DepllcApp, signum: int) -> float:
    """Deliver `signum` as launch.py's handler does; seconds until the app has ended."""
    started = time.monotonic()
    app.interrupt(signum)
    SIGNALLED.set()
    app.interrupt(signum)  # a second signal while stopping changes nothing
    while app.return_code is None and time.monotonic() - started < 10:
        await asyncio.sleep(0.02)
    assert app.return_code == 128 + signum
    return time.monotonic() - started


def slow_ses(monkeypatch: pytest.MonkeyPatch, seconds: float) -> threading.Event:
    """SES accepts the call at once; its answer comes back `seconds` after the signal
    (whenever the busy machine lets the test deliver it). The event is set when the
    first call has gone out."""
    gone_out = threading.Event()
    SIGNALLED.clear()
    real_bulk, real_one = bulk._call, mail._call_ses

    def slow(real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            answer = real(*args, **kwargs)
            gone_out.set()
            SIGNALLED.wait(30)
            time.sleep(seconds)
            return answer

        return call

    monkeypatch.setattr(bulk, "_call", slow(real_bulk))
    monkeypatch.setattr(mail, "_call_ses", slow(real_one))
    return gone_out


@pytest.mark.parametrize(
    ("name", "answer_seconds"), [("SIGHUP", 0.2), ("SIGTERM", 0.2), ("SIGINT", 5.0)]
)
async def test_a_bulk_send_in_the_console_stops_and_records_the_batch(
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    answer_seconds: float,
) -> None:
    """The signal lands while SES answers the first call of 50: an answer back within
    the grace period (0.2 s after the signal) is recorded (`sent` with the ids), a
    later one leaves those 50 `queued` with "outcome unknown" (never sent again); the
    other 70 rows are not sent, named in the audit entry and in what the console
    prints as it ends."""
    from tests.tui.test_compose import open_template

    csv = tmp_path / "clients.csv"
    csv.write_text(
        "email,name,portal_url\n"
        + "".join(f"c{i}@example.com,C{i},https://p/{i}\n" for i in range(120))
    )
    gone_out = slow_ses(monkeypatch, answer_seconds)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_template(pilot, app, "welcome-client")
        screen.query_one("#bulk-csv", Input).value = str(csv)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(pilot, gone_out.is_set, timeout=30)
        seconds = await stopped_by(pilot, app, getattr(signal, name))
    assert seconds < BOUND, f"{seconds:.2f} s from the signal to the end"
    logs = list(runtime.store.emaillogs.find())
    assert len(logs) == 50
    if answer_seconds < 1:
        assert {d["status"] for d in logs} == {"sent"}
        assert all(not d["messageId"].startswith("queued-") for d in logs)
    else:
        assert {d["status"] for d in logs} == {"queued"}
        assert {d["customData"]["outcome"] for d in logs} == {"unknown"}
    (audit,) = runtime.store.auditlog.find({"action": "send-bulk"})
    assert audit["details"]["notAttempted"] == 70
    said = "\n".join(app.stopped_said)
    assert "not sent 70 (rows 52-121): send the same CSV again" in said
    # the same CSV again sends the rest, to nobody twice
    again = bulk.send_bulk(runtime, bulk.plan(runtime, "welcome-client", str(csv)))
    assert (
        again.count("sent") == 70 and len(bulk.plan(runtime, "welcome-client", str(csv)).rows) == 0
    )


async def test_a_send_of_two_parts_records_the_part_sent_and_the_part_not(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 recipients are two messages: SIGTERM while SES answers the first leaves it
    `sent` with its id and the second `failed`, interrupted before sending."""
    prepared = mail.prepare(runtime, make_request(to=[f"p{i}@example.com" for i in range(60)]))
    assert len(prepared.parts) == 2
    gone_out = slow_ses(monkeypatch, 0.2)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        screen.deliver_send(prepared)  # what Send does once confirmed
        await until(pilot, gone_out.is_set, timeout=30)
        seconds = await stopped_by(pilot, app, signal.SIGTERM)
        assert seconds < BOUND, f"{seconds:.2f} s from the signal to the end"
    first, second = (runtime.store.emaillogs.find_one({"_id": p.log.id}) for p in prepared.parts)
    assert first and first["status"] == "sent" and not first["messageId"].startswith("queued-")
    assert second and second["status"] == "failed"
    assert second["error"] == mail.INTERRUPTED
    said = app.stopped_said
    assert said[0] == f"log {first['_id']}: sent, SES MessageId {first['messageId']}"
    assert said[1] == f"log {second['_id']}: failed: {mail.INTERRUPTED}"


def stall(runtime: Runtime, operation: str) -> threading.Event:
    """A stalled connection: each `operation` call blocks (a signal cannot reach it)."""
    from core.files.transfer import transfer_client

    reached = threading.Event()

    def blocked(**_: Any) -> None:
        reached.set()
        time.sleep(5)

    transfer_client(runtime).meta.events.register(f"before-call.s3.{operation}", blocked)
    return reached


async def test_a_download_in_the_console_leaves_no_part_file(
    runtime: Runtime, tmp_path: Path, stored_file: Any
) -> None:
    from tui.modals.files_download import DownloadPlan

    record = stored_file(data=b"%PDF-1.4\n" + bytes(range(256)) * (11 * MiB // 256))
    folder = tmp_path / "downloads"
    folder.mkdir()
    reached = stall(runtime, "GetObject")
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        screen.start_download([record], DownloadPlan(folder))
        await until(pilot, reached.is_set, timeout=30)
        seconds = await stopped_by(pilot, app, signal.SIGHUP)
        assert seconds < BOUND, f"{seconds:.2f} s from the signal to the end"
    assert list(folder.iterdir()) == []
    assert app.stopped_said == [f"download {record.originalName}: Transfer cancelled."]


async def test_an_upload_in_the_console_is_marked_failed_and_aborted(
    runtime: Runtime, tmp_path: Path
) -> None:
    from tui.modals.files_upload import UploadPlan

    local = tmp_path / "scan.pdf"
    local.write_bytes(b"%PDF-1.4\n" + b"\0" * (20 * MiB))
    reached = stall(runtime, "UploadPart")
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        screen.start_upload(UploadPlan(paths=[local]))
        await until(pilot, reached.is_set, timeout=30)
        seconds = await stopped_by(pilot, app, signal.SIGTERM)
        assert seconds < BOUND, f"{seconds:.2f} s from the signal to the end"
    (record,) = runtime.store.files.find()
    assert record["status"] == "failed"
    bucket = runtime.settings.aws_s3_bucket
    assert runtime.aws.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    (said,) = app.stopped_said
    assert said.startswith("upload scan.pdf: ") and said.endswith("cancelled.")


async def test_a_signal_with_nothing_running_ends_at_once(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        assert await stopped_by(pilot, app, signal.SIGINT) < 0.5
    assert app.stopped_said == []
