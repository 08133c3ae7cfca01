"""Issue 12, defect 6: SIGINT, SIGTERM or SIGHUP during `files download` or `files upload`
end the command at once (2 s, benchmarks/interrupts.py) (exit 128 + the signal) and
leave nothing half done: no `.part` file, the upload's record `failed` and its multipart
upload aborted. The connection is stalled (a GET or an UploadPart that does not return)
or the disk slow, so the signal lands mid-transfer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import BOUND, SIGNALS, run_driver

FILE_ID = "65a000000000000000000001"
SIZE = 20 * 1024 * 1024  # over the multipart threshold: parts in parallel


@pytest.mark.parametrize(
    ("name", "stall"),
    [(name, "stalled GET") for name in SIGNALS] + [("SIGHUP", "slow disk")],
)
def test_an_interrupted_download_ends_at_once_and_leaves_no_part_file(
    tmp_path: Path, name: str, stall: str
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    slow = {"get_seconds": 30} if stall == "stalled GET" else {"write_seconds": 0.1}
    run = run_driver(
        tmp_path / "run",
        {"file": {"id": FILE_ID, "size": SIZE}, **slow},
        ["files", "download", FILE_ID, "--to", str(folder)],
        SIGNALS[name],
        after="part" if stall == "stalled GET" else "write",
        delay=0.3,
    )
    assert run.code == 128 + SIGNALS[name], run.stderr
    assert run.seconds < BOUND
    assert list(folder.iterdir()) == []  # no .part, no half file
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("name", ["SIGTERM"])
def test_an_interrupted_upload_marks_its_record_failed_and_aborts_the_upload(
    tmp_path: Path, name: str
) -> None:
    local = tmp_path / "scan.pdf"
    with local.open("wb") as fh:
        fh.write(b"%PDF-1.4\n")
        fh.write(b"\0" * SIZE)
    run = run_driver(
        tmp_path / "run",
        {"part_seconds": 30},
        ["files", "upload", str(local), "--category", "document"],
        SIGNALS[name],
        after="part",
        delay=0.3,
    )
    assert run.code == 128 + SIGNALS[name], run.stderr
    assert run.seconds < BOUND
    (record,) = run.state["files"]
    assert record["status"] == "failed"
    assert run.state["multipartUploads"] == [] and run.state["objects"] == []
