"""Run the `depllc` command line (tui.cli.main.main, what the installed script calls)
in a child process over moto (in-process) and a named in-process store, with faults
that slow it down so a signal lands mid-run, then dump what it left behind.

    python -m tests.faults.driver STATE_DIR FAULTS_JSON -- depllc arguments...

STATE_DIR/store.json is loaded before the run (so a second run resumes the first's
records) and written after it, with what moto holds (messages SES accepted, multipart
uploads in progress, objects). Progress marks (`ses-call`, `write`, `part`) are
appended to STATE_DIR/marks so a test knows when to send its signal.

With no arguments after `--` it runs the full-screen console (in the terminal the test
gives it); faults["tui"] starts a send or a transfer there once it is connected, as
its dialogs would: {"bulk": CSV, "template": NAME} or {"download": FILE_ID, "to": DIR}."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bson import json_util

STORE_URI = "mongomock://faults"
DB = "depllc"
BUCKET = "depllc-faults"
SENDER = "noreply@depllc.example"
COLLECTIONS = ("emaillogs", "files", "auditlog")
_marks_lock = threading.Lock()


def mark(state: Path, what: str) -> None:
    with _marks_lock, (state / "marks").open("a") as fh:
        fh.write(what + "\n")


def _environment() -> None:
    os.environ.update(
        {
            "MONGODB_URI": STORE_URI,
            "MONGODB_DB": DB,
            "AWS_S3_BUCKET": BUCKET,
            "AWS_SES_FROM_EMAIL": SENDER,
            "AWS_REGION": "us-east-1",
            "SES_CONFIGURATION_SET": "depllc-crm-emails",
            "SES_MAX_SEND_RATE": "1000",
            "SES_MAX_24H_SEND": "100000",
            "DEPLLC_CRM_USER_ID": "tester",  # owns the seeded file (operators list empty)
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )


def _load(state: Path) -> None:
    from core.db import connect

    store = connect(STORE_URI, DB)
    store.ensure_indexes()
    snapshot = state / "store.json"
    if snapshot.exists():
        saved = json_util.loads(snapshot.read_text())
        for name in COLLECTIONS:
            if saved.get(name):
                store.db[name].insert_many(saved[name])


def _dumper(state: Path) -> Callable[[], None]:
    """Writes STATE_DIR/store.json; its clients are made now, so the dump after a
    signal costs little of the time measured."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from core.aws import AwsClients
    from core.config import load_settings
    from core.db import connect

    store = connect(STORE_URI, DB)
    settings, _ = load_settings({})
    s3 = AwsClients(settings).s3
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]

    def dump() -> None:
        saved: dict[str, Any] = {name: list(store.db[name].find()) for name in COLLECTIONS}
        saved["sesAccepted"] = len(backend.sent_messages)
        saved["multipartUploads"] = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        objects = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        saved["objects"] = [o["Key"] for o in objects]
        (state / "store.json").write_text(json_util.dumps(saved))

    return dump


def _seed(faults: dict[str, Any]) -> None:
    """A completed file record and its bytes (faults["file"]: {"id", "size"})."""
    import hashlib

    from bson import ObjectId

    from core.aws import AwsClients
    from core.config import load_settings
    from core.db import connect
    from core.files.transfer import b64_sha256
    from core.models import FileMetadata, FileRecord, S3Info
    from core.vocabulary import FileCategory, FileStatus

    spec = faults["file"]
    data = os.urandom(1024 * 1024) * (int(spec["size"]) // (1024 * 1024))
    settings, _ = load_settings({})
    key = "document/tester/big.bin"
    put = AwsClients(settings).s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    record = FileRecord(
        key=key,
        fileName="big.bin",
        originalName="big.bin",
        contentType="application/octet-stream",
        size=len(data),
        category=FileCategory.DOCUMENT,
        status=FileStatus.COMPLETED,
        userId="tester",
        metadata=FileMetadata(
            uploadedBy="tester", checksum=b64_sha256(hashlib.sha256(data).digest())
        ),
        s3Info=S3Info(bucket=BUCKET, region="us-east-1", versionId=put.get("VersionId")),
    )
    doc = record.to_mongo()
    doc["_id"] = ObjectId(spec["id"])
    connect(STORE_URI, DB).files.insert_one(doc)


def _slow_down(state: Path, faults: dict[str, Any]) -> None:
    """Faults that stretch a run: a slow disk, slow S3 parts, a slow SES answer."""
    if "write_seconds" in faults:
        from core.files import transfer  # HashingWriter looks _pwrite up at each write

        real_pwrite = transfer._pwrite

        def slow_pwrite(fd: int, data: Any, offset: int) -> int:
            mark(state, "write")
            time.sleep(float(faults["write_seconds"]))
            return real_pwrite(fd, data, offset)

        transfer._pwrite = slow_pwrite
    stalls = {"part_seconds": "UploadPart", "get_seconds": "GetObject"}
    if any(name in faults for name in stalls):
        from core.files import transfer

        real_client = transfer.transfer_client

        def slow_client(runtime: Any) -> Any:
            """A stalled connection: the call blocks (cancel cannot reach it)."""
            client = real_client(runtime)
            for name, operation in stalls.items():
                if name in faults:

                    def slow(seconds: float = float(faults[name]), **_kwargs: Any) -> None:
                        mark(state, "part")
                        time.sleep(seconds)

                    client.meta.events.register(
                        f"before-call.s3.{operation}", slow, unique_id=f"slow-{name}"
                    )
            return client

        from core.files import download, upload

        for module in (transfer, upload, download):
            module.transfer_client = slow_client  # type: ignore[attr-defined]
    if "ses_seconds" in faults:
        from core.mail import bulk, send

        real_bulk = bulk._call
        real_one = send._call_ses

        def slow_bulk(*args: Any, **kwargs: Any) -> Any:
            answer = real_bulk(*args, **kwargs)  # SES has accepted them...
            mark(state, "ses-call")
            time.sleep(float(faults["ses_seconds"]))  # ...the answer is slow to come back
            return answer

        def slow_one(*args: Any, **kwargs: Any) -> Any:
            answer = real_one(*args, **kwargs)
            mark(state, "ses-call")
            time.sleep(float(faults["ses_seconds"]))
            return answer

        bulk._call = slow_bulk
        send._call_ses = slow_one


def _console_work(state: Path, spec: dict[str, Any]) -> None:
    """Once the console is connected, start what `spec` names on its screen."""
    from tui.app import DepllcApp

    watch_sends = DepllcApp._watch_sends  # called when the runtime is ready

    def ready(app: DepllcApp, runtime: Any) -> None:
        watch_sends(app, runtime)
        app.call_later(start, app, runtime)

    async def start(app: DepllcApp, runtime: Any) -> None:
        if "bulk" in spec:
            from core.mail import bulk

            plan = bulk.plan(runtime, spec["template"], spec["bulk"])
            await app.switch_mode("compose")
            app.screen.run_bulk(plan, threading.Event())  # type: ignore[attr-defined]
        else:
            from core.models import FileRecord, read_stored
            from tui.modals.files_download import DownloadPlan

            doc = runtime.store.files.find_one({"_id": ObjectId(spec["download"])})
            await app.switch_mode("files")
            app.screen.start_download(  # type: ignore[attr-defined]
                [read_stored(FileRecord, doc)], DownloadPlan(Path(spec["to"]))
            )
        mark(state, "started")

    from bson import ObjectId

    DepllcApp._watch_sends = ready  # type: ignore[method-assign,assignment]


def run(state: Path, faults: dict[str, Any], argv: list[str]) -> int:
    from moto import mock_aws

    _environment()
    with mock_aws():
        from core.aws import AwsClients
        from core.config import load_settings
        from core.sandbox import provision

        settings, _ = load_settings({})
        provision(AwsClients(settings), settings)
        _load(state)
        if "file" in faults:
            _seed(faults)
        _slow_down(state, faults)
        if "tui" in faults:
            _console_work(state, faults["tui"])
        from tui import interrupts
        from tui.cli.main import main

        leave_now = interrupts.leave_now
        dump = _dumper(state)

        def dump_then_leave(code: int) -> None:
            dump()
            leave_now(code)

        interrupts.leave_now = dump_then_leave  # an interrupted run ends in os._exit
        sys.argv = ["depllc", *argv]
        mark(state, "ready")
        try:
            return main()  # as the installed script calls it
        finally:
            dump()


if __name__ == "__main__":
    separator = sys.argv.index("--")
    state_dir = Path(sys.argv[1])
    raise SystemExit(run(state_dir, json.loads(sys.argv[2]), sys.argv[separator + 1 :]))
