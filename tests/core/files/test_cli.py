"""`depllc files ...`: JSON output, exit codes, quiet when piped."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.runtime import Runtime
from tests.core.files.conftest import ELF_HEADER, pdf_bytes
from tui.cli.context import CommandContext
from tui.cli.main import main

CLIENT = "683d063fe345c182ead5c02a"  # a client id as the CRM writes it


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    return runtime


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(["files", *argv])
    captured = capsys.readouterr()
    out = captured.out
    try:
        value = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        value = out
    return code, value, captured.err


def test_upload_list_download_link_round_trip(
    cli: Runtime,
    make_file: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = make_file("a.pdf", pdf_bytes())
    b = make_file("b.txt", b"hello\n")
    code, uploaded, err = run(
        capsys,
        "upload",
        str(a),
        str(b),
        "--category",
        "invoice",
        "--tag",
        "q3",
        "--client",
        CLIENT,
        "--meta",
        "ticket=9",
        "--json",
    )
    assert code == 0 and err == ""  # piped: no progress bars
    assert [u["originalName"] for u in uploaded] == ["a.pdf", "b.txt"]
    assert uploaded[0]["metadata"]["ticket"] == "9" and uploaded[0]["clientId"] == CLIENT
    code, listed, _ = run(capsys, "list", "--category", "invoice", "--tag", "q3", "--json")
    assert code == 0 and len(listed["items"]) == 2 and listed["nextCursor"] is None
    code, page, _ = run(capsys, "list", "--limit", "1", "--json", "--sort", "fileName", "--asc")
    assert [i["originalName"] for i in page["items"]] == ["a.pdf"] and page["nextCursor"]
    code, page2, _ = run(
        capsys,
        "list",
        "--limit",
        "1",
        "--json",
        "--sort",
        "fileName",
        "--asc",
        "--cursor",
        page["nextCursor"],
    )
    assert [i["originalName"] for i in page2["items"]] == ["b.txt"]
    # the console's query line as a positional argument; flags beside it win
    code, listed, _ = run(
        capsys, "list", f"client:{CLIENT} cat:invoice tag:q3 since:1d b", "--json"
    )
    assert code == 0 and [i["originalName"] for i in listed["items"]] == ["b.txt"]
    code, listed, _ = run(capsys, "list", f"client:{CLIENT}", "--client", "c-2", "--json")
    assert code == 0 and listed["items"] == []
    code, _, err = run(capsys, "list", "colour:red")
    assert code == 2 and err.count("\n") == 1
    assert "Unknown key colour: (the files keys are cat: status: client: tag: name:" in err
    out = tmp_path / "out"
    out.mkdir()
    ids = [u["_id"] for u in uploaded]
    code, got, err = run(capsys, "download", *ids, "--to", str(out), "--json")
    assert code == 0 and err == "" and {Path(g["path"]).name for g in got} == {"a.pdf", "b.txt"}
    assert (out / "a.pdf").read_bytes() == a.read_bytes()
    code, _, err = run(capsys, "download", ids[0], "--to", str(out))
    assert code == 2 and "already exists" in err
    code, got, _ = run(capsys, "download", ids[0], "--to", str(out), "--keep-both", "--json")
    assert code == 0 and Path(got[0]["path"]).name == "a (1).pdf"
    code, link, _ = run(capsys, "link", ids[0], "--expires", "30m", "--json")
    assert code == 0 and "X-Amz-Expires=1800" in link["url"]
    code, _, err = run(capsys, "link", ids[0], "--expires", "8d")
    assert code == 2 and "between 1 second and 7 days" in err
    for odd in ("infd", "nanh"):  # float() takes these: once an "Unexpected error"
        code, _, err = run(capsys, "link", ids[0], "--expires", odd)
        assert (
            code == 2 and err == f"depllc: expires: bad duration {odd!r}. Use e.g. 30m, 1h, 7d.\n"
        )


def test_bad_input_exit_codes(
    cli: Runtime,
    make_file: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = make_file("invoice.pdf", ELF_HEADER + b"\x00" * 100)
    code, _, err = run(capsys, "upload", str(fake), str(tmp_path / "missing.pdf"))
    assert code == 2
    assert "ELF executable" in err and "No such file" in err and "Traceback" not in err
    assert cli.store.files.count_documents({}) == 0
    code, _, err = run(capsys, "upload", str(make_file("x.pdf", pdf_bytes())), "--category", "x")
    assert code == 2 and "Unknown category" in err
    code, _, err = run(capsys, "download", "000000000000000000000000", "--to", str(tmp_path))
    assert code == 1 and "No file" in err
    code, _, err = run(capsys, "download", "x", "--to", str(tmp_path / "nope"))
    assert code == 2 and "No such folder" in err


def test_rm_restore_tag_versions_purge_reconcile(
    cli: Runtime,
    make_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, uploaded, _ = run(capsys, "upload", str(make_file("deal.pdf", pdf_bytes())), "--json")
    rid = uploaded[0]["_id"]
    code, edited, _ = run(
        capsys, "tag", rid, "--add", "x", "--public", "--client", CLIENT, "--json"
    )
    assert code == 0 and edited["metadata"]["tags"] == ["x"] and edited["isPublic"]
    code, gone, _ = run(capsys, "rm", rid, "--json")
    assert code == 0 and gone[0]["status"] == "deleted"
    code, back, _ = run(capsys, "restore", rid, "--json")
    assert code == 0 and back[0]["status"] == "completed"
    code, versions, _ = run(capsys, "versions", rid, "--json")
    assert code == 0 and len(versions) == 1 and versions[0]["isRecorded"]
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run(capsys, "purge", rid, "--confirm", "deal.pdf")
    assert code == 2 and "Only an admin may purge deal.pdf" in err
    code, _, err = run(capsys, "reconcile", "--orphans")
    assert code == 2 and "Only an admin may list the whole bucket" in err
    cli.identity = replace(cli.whoami(), role="admin")
    code, _, err = run(capsys, "purge", rid)
    assert code == 2 and "--confirm" in err
    code, _, err = run(capsys, "purge", rid, "--confirm", "nope")
    assert code == 2 and "does not match" in err
    code, purged, _ = run(capsys, "purge", rid, "--confirm", "deal.pdf", "--json")
    assert code == 0 and purged["versionsRemoved"] == 1
    code, settled, _ = run(capsys, "reconcile", "--json")
    assert code == 0 and settled == []


def test_upload_refuses_disguised_files_and_symlinks(
    cli: Runtime,
    make_file: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = make_file("Invoice_2026_\u202efdp.bat", b"@echo off\r\n")
    code, _, err = run(capsys, "upload", str(script))
    assert code == 2 and "text-direction character (U+202E)" in err and "Rename" in err
    assert len(err.strip().splitlines()) == 1 and "\u202e" not in err
    target = make_file("notes.txt", b"private notes\n")
    link = tmp_path / "invoice.txt"
    link.symlink_to(target)
    code, _, err = run(capsys, "upload", str(link))
    assert code == 2 and "is a symbolic link" in err and "--follow-symlinks" in err
    assert cli.store.files.count_documents({}) == 0
    code, uploaded, err = run(capsys, "upload", str(link), "--follow-symlinks", "--json")
    assert code == 0, err
    assert uploaded[0]["originalName"] == "invoice.txt" and uploaded[0]["size"] == 14


def test_a_client_id_that_is_not_the_crms_is_refused_in_one_line(
    cli: Runtime, make_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = make_file("a.pdf", pdf_bytes()), make_file("b.pdf", pdf_bytes())
    code, out, err = run(capsys, "upload", str(a), str(b), "--client", "Client Y")
    assert code == 2 and out is None
    assert err.count("\n") == 1 and "'Client Y' is not a client id" in err
    assert "24 characters 0-9 and a-f" in err
    assert cli.store.files.count_documents({}) == 0  # nothing recorded, nothing sent
    code, uploaded, _ = run(capsys, "upload", str(a), "--json")
    code, _, err = run(capsys, "tag", uploaded[0]["_id"], "--client", "Client Y")
    assert code == 2 and err.count("\n") == 1 and "is not a client id" in err
    assert cli.store.files.find_one({}).get("clientId") is None  # type: ignore[union-attr]
    code, edited, _ = run(capsys, "tag", uploaded[0]["_id"], "--client", CLIENT.upper(), "--json")
    assert code == 0 and edited["clientId"] == CLIENT


def test_a_batch_done_in_part_exits_3(
    cli: Runtime,
    make_file: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = make_file("good.pdf", pdf_bytes())
    code, uploaded, err = run(capsys, "upload", str(good), str(tmp_path / "gone.pdf"), "--json")
    assert code == 3 and "No such file" in err
    assert [u["originalName"] for u in uploaded] == ["good.pdf"]
    missing = "000000000000000000000000"
    out = tmp_path / "out"
    out.mkdir()
    ids = [uploaded[0]["_id"], missing]
    code, got, err = run(capsys, "download", *ids, "--to", str(out), "--json")
    assert code == 3 and "No file" in err and [Path(g["path"]).name for g in got] == ["good.pdf"]
    code, _, err = run(capsys, "rm", missing, uploaded[0]["_id"], "--json")
    assert code == 3 and "No file" in err
    code, _, err = run(capsys, "rm", missing)
    assert code == 1  # nothing done


@pytest.mark.parametrize("width", [80, 160, None], ids=["80 columns", "160 columns", "a pipe"])
def test_the_list_fits_a_terminal(
    cli: Runtime,
    make_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int | None,
) -> None:
    name = "Quarterly financial summary for the board, with every annex and appendix.pdf"
    assert run(capsys, "upload", str(make_file(name, pdf_bytes())), "--category", "invoice")[0] == 0
    monkeypatch.setattr("tui.cli.files_cmd.terminal_width", lambda: width)
    code, out, _ = run(capsys, "list")
    assert code == 0
    (row,) = str(out).splitlines()
    record = cli.store.files.find_one({})
    assert record is not None and row.startswith(f"{record['_id']}  completed")
    if width is None:  # a pipe: every column, the name whole
        assert "invoice" in row and row.endswith(name)
    else:  # the id whole, the name cut to fit; category, owner and time from 100 columns
        assert len(row) < width and "Quarterly financial" in row and row.endswith("…")
        assert ("invoice" in row) == (width >= 100)
