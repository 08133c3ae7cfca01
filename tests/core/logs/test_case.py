"""The case view's core (core/case.py) and `depllc case`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from core import audit
from core.case import NEWEST, email_filter, file_filter, next_page, open_case
from core.db import ALL_INDEXES, AUDIT_COLLECTION, EMAIL_COLLECTION, FILE_COLLECTION, Store
from core.errors import InputError, NotFoundError
from core.models import FileRecord, utcnow
from core.runtime import Runtime
from tests.core.logs.conftest import MakeLog
from tui.cli.context import CommandContext
from tui.cli.main import main

ANN = "ann@client.example"
CLIENT = "665f1c2a9b1e4a0012345678"


def _file(store: Store, name: str, client: str | None, user: str, public: bool = True) -> str:
    record = FileRecord.model_validate(
        {
            "key": f"files/{name}",
            "fileName": name,
            "originalName": name,
            "contentType": "application/pdf",
            "size": 1234,
            "category": "contract",
            "userId": user,
            "clientId": client,
            "isPublic": public,
            "status": "completed",
            "metadata": {"uploadedBy": user},
            "s3Info": {"bucket": "b", "region": "us-east-1"},
        }
    )
    return str(store.files.insert_one(record.to_mongo()).inserted_id)


@pytest.fixture
def seeded(runtime: Runtime, add_log: MakeLog) -> dict[str, Any]:
    now = utcnow()
    bounced = add_log(
        to=[ANN, "bob@client.example"],
        clientId=CLIENT,
        subject="Your contract",
        status="bounced",
        createdAt=now - timedelta(days=1),
        recipientStatus=[
            {"email": ANN, "status": "bounced",
             "diagnostic": "Permanent/General: smtp; 550 5.1.1 <ann@client.example>: "
                           "Recipient address rejected: User unknown"},
            {"email": "bob@client.example", "status": "delivered"},
        ],
    )  # fmt: skip
    older = add_log(to=[ANN], clientId=CLIENT, createdAt=now - timedelta(days=20))
    add_log(to=["someone@else.example"])  # not Ann's
    runtime.store.suppressions.insert_one(
        {"email": ANN, "reason": "bounce", "at": now - timedelta(hours=20), "by": "events"}
    )
    contract = _file(runtime.store, "contract.pdf", CLIENT, "tester")
    hidden = _file(runtime.store, "private.pdf", CLIENT, "other-user", public=False)
    _file(runtime.store, "unrelated.pdf", "another-client", "tester")
    audit.record(runtime.store, "tester", "resend", str(bounced["_id"]))
    # after the files, whatever the clock's resolution (equal times order by kind)
    runtime.store.auditlog.update_many({}, {"$set": {"at": now + timedelta(seconds=1)}})
    return {"bounced": bounced, "older": older, "contract": contract, "hidden": hidden}


def test_case_for_an_address(runtime: Runtime, seeded: dict[str, Any]) -> None:
    case = open_case(runtime, "Ann@Client.example")
    assert [log.id for log in case.emails] == [seeded["bounced"]["_id"], seeded["older"]["_id"]]
    assert case.client_ids == [CLIENT]
    (ann,) = case.addresses
    assert ann.suppression is not None and ann.suppression.reason.value == "bounce"
    assert (ann.bounces, ann.complaints) == (1, 0)
    assert ann.last_problem is not None and "5.1.1" in (ann.last_problem.diagnostic or "")
    assert [str(f.id) for f in case.files] == [seeded["contract"]]
    assert case.hidden_files == 1  # the other user's private file, counted, not listed
    assert [e.action for e in case.audit] == ["resend"]
    kinds = [item.kind for item in case.timeline()]
    assert kinds == ["audit", "file", "suppression", "email", "email"]  # newest first
    assert [i.kind for i in case.timeline({"file"})] == ["file"]


def test_the_audit_entries_of_a_case_include_its_files(
    runtime: Runtime, seeded: dict[str, Any]
) -> None:
    """File actions audit the object key (a link, a delete): the case finds them too."""
    from core.files.links import presign_get

    presign_get(runtime, seeded["contract"], 3600)
    case = open_case(runtime, CLIENT)
    assert sorted(e.action for e in case.audit) == ["presign", "resend"]
    presign = next(i for i in case.timeline({"audit"}) if i.title == "presign")
    assert presign.detail == "by tester · files/contract.pdf"
    assert case.totals["audit"] == 2


def test_case_for_a_client_id(runtime: Runtime, seeded: dict[str, Any]) -> None:
    case = open_case(runtime, CLIENT)
    assert case.kind == "client"
    assert {a.email for a in case.addresses} == {ANN, "bob@client.example"}
    assert len(case.emails) == 2
    since = open_case(runtime, CLIENT, since=utcnow() - timedelta(days=7))
    assert [log.id for log in since.emails] == [seeded["bounced"]["_id"]]


def test_unknown_is_not_found(runtime: Runtime, seeded: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError, match="Nothing is known about the address"):
        open_case(runtime, "nobody@nowhere.example")


def _served(collection: str, flt: dict[str, Any], sort: list[tuple[str, int]]) -> bool:
    """Every branch's equality keys, then the sort keys, are a prefix of a declared index."""
    branches = flt.get("$or", [flt])
    for branch in branches:
        keys = [(k, 1) for k in branch] + sort
        if not any(
            [k for k, _ in spec[: len(keys)]] == [k for k, _ in keys]
            and all(
                d == sd
                for (_, d), (_, sd) in zip(keys[len(branch) :], spec[len(branch) :], strict=False)
            )
            for spec, _ in ALL_INDEXES[collection]
        ):
            return False
    return True


def test_case_queries_are_served_by_declared_indexes() -> None:
    assert _served(EMAIL_COLLECTION, email_filter("address", ANN, None), NEWEST)
    assert _served(EMAIL_COLLECTION, email_filter("client", CLIENT, None), NEWEST)
    files = file_filter([CLIENT], CLIENT)
    assert files is not None and _served(FILE_COLLECTION, files, NEWEST)
    audit_page = [("at", -1), ("_id", -1)]  # the case's audit entries, a page at a time
    assert _served(AUDIT_COLLECTION, {"target": {"$in": [ANN, CLIENT]}}, audit_page)
    assert not _served(EMAIL_COLLECTION, {"subject": "x", "status": "y"}, NEWEST)  # can fail


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    return runtime


def test_case_command_text(
    cli: Runtime, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["case", ANN]) == 0
    out = capsys.readouterr().out
    assert f"{ANN}: SUPPRESSED (bounce since" in out
    assert "The address does not exist: ask the client for a new one" in out
    assert "raw: Permanent/General: smtp; 550 5.1.1" in out
    assert "2 emails, 1 file (1 hidden by your role), 1 audit entry" in out


def test_case_command_fits_an_80_column_terminal(
    cli: Runtime,
    seeded: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tui.cli.case_cmd.terminal_width", lambda: 80)
    assert main(["case", ANN]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) < 80 for line in lines), [line for line in lines if len(line) >= 80]
    said = " ".join(" ".join(lines).split())  # the prose wrapped between words, all there
    assert "The address does not exist: ask the client for a new one" in said
    # each timeline row ends with its detail whole (the title gave way)
    assert any(line.endswith("contract.pdf      completed · 1.2 KiB · contract") for line in lines)
    assert any(line.endswith(f"by tester · {seeded['bounced']['_id']}") for line in lines)


def test_case_command_json(
    cli: Runtime, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["case", CLIENT, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "client"
    ann = next(a for a in data["addresses"] if a["email"] == ANN)
    assert ann["suppressed"] is True
    assert ann["lastProblem"]["reason"] == "The address does not exist"
    assert [f["originalName"] for f in data["files"]] == ["contract.pdf"]
    assert data["hiddenFiles"] == 1


def test_case_command_unknown(
    cli: Runtime, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["case", "nobody@nowhere.example"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "Nothing is known about the address nobody@nowhere.example" in err[0]


def test_logs_show_says_why_in_plain_words(
    cli: Runtime, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    log_id = str(seeded["bounced"]["_id"])
    assert main(["logs", "show", log_id]) == 0
    out = " ".join(capsys.readouterr().out.split())  # as read, whatever the wrapping
    assert f"Why {ANN}: The address does not exist: ask the client for a new one" in out
    assert "550 5.1.1" in out  # the raw diagnostic stays beside it
    assert main(["logs", "show", log_id, "--json"]) == 0
    rows = {r["email"]: r for r in json.loads(capsys.readouterr().out)["recipients"]}
    assert rows[ANN]["reason"] == "The address does not exist"
    assert "reason" not in rows["bob@client.example"]  # delivered: nothing to explain


def _timeline_keys(case: Any) -> list[tuple[str, str]]:
    return [(item.kind, item.ref) for item in case.timeline()]


def test_the_timeline_pages_without_gaps_or_repeats(runtime: Runtime, add_log: MakeLog) -> None:
    """Pages of 3 across emails, files, audit entries and a suppression, several at the
    very same time (the order is time, then kind, then id): together they are the
    whole timeline, once each; the person is the same on every page."""
    from bson import ObjectId

    store = runtime.store
    now = utcnow().replace(microsecond=0)
    same = now - timedelta(hours=1)
    for n in range(7):
        add_log(to=[ANN], clientId=CLIENT, createdAt=same if n < 3 else now - timedelta(hours=n))
    for n in range(4):
        fid = _file(store, f"f{n}.pdf", CLIENT, "tester")
        at = same if n < 2 else now - timedelta(minutes=n)
        store.files.update_one({"_id": ObjectId(fid)}, {"$set": {"createdAt": at}})
    for action in ("suppress", "unsuppress", "suppress"):
        audit.record(store, "tester", action, ANN)
    store.auditlog.update_one({"action": "unsuppress"}, {"$set": {"at": same}})
    store.suppressions.insert_one({"email": ANN, "reason": "manual", "at": same, "by": "t"})

    whole = open_case(runtime, ANN, limit=1000)
    expected = _timeline_keys(whole)
    assert len(expected) == 7 + 4 + 3 + 1 and whole.next_cursor is None
    assert len(set(expected)) == len(expected)
    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = open_case(runtime, ANN, limit=3, cursor=cursor)
        assert page.totals == whole.totals == {"email": 7, "file": 4, "audit": 3}
        assert [(a.email, a.suppression is not None) for a in page.addresses] == [(ANN, True)]
        seen += _timeline_keys(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected
    assert pages == 5  # 15 items, 3 a page: the last full page says there is no more
    # the console's way: the next page from the case itself (no second person lookup)
    first = open_case(runtime, ANN, limit=6)
    second = next_page(runtime, first, 6)
    assert _timeline_keys(first) + _timeline_keys(second) == expected[:12]
    assert next_page(runtime, replace(first, next_cursor=None), 6).timeline() == []


def test_a_bad_page_cursor_is_refused(runtime: Runtime, seeded: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="That page cursor is not valid"):
        open_case(runtime, ANN, cursor="not-a-cursor")
    with pytest.raises(InputError, match="1 or more"):
        open_case(runtime, ANN, limit=0)


def test_case_command_pages_like_logs(
    cli: Runtime, seeded: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """--limit and --cursor: {..., "nextCursor"} with --json, `next page: --cursor C` on
    stderr otherwise; following the cursors gives the whole timeline once."""
    assert main(["case", ANN, "--limit", "100", "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert whole["nextCursor"] is None
    kinds = ("emails", "files", "audit", "suppressions")
    everything = {k: [json.dumps(x, sort_keys=True) for x in whole[k]] for k in kinds}
    assert sum(map(len, everything.values())) == 5
    got: dict[str, list[str]] = {k: [] for k in kinds}
    cursor: list[str] = []
    for _ in range(3):  # 5 items, 2 a page
        assert main(["case", ANN, "--limit", "2", "--json", *cursor]) == 0
        page = json.loads(capsys.readouterr().out)
        assert page["totals"] == whole["totals"]
        for k in kinds:
            got[k] += [json.dumps(x, sort_keys=True) for x in page[k]]
        cursor = ["--cursor", page["nextCursor"]] if page["nextCursor"] else []
    assert cursor == [] and got == everything

    assert main(["case", ANN, "-n", "2"]) == 0
    out, err = capsys.readouterr()
    assert "2 emails, 1 file (1 hidden by your role), 1 audit entry" in out  # the totals
    assert len([line for line in out.splitlines() if line[:4].isdigit()]) == 2
    (hint,) = [line for line in err.splitlines() if line.startswith("next page: --cursor ")]
    assert main(["case", ANN, "-n", "2", "--cursor", hint.split()[-1]]) == 0
    assert main(["case", ANN, "--cursor", "nonsense"]) == 2
    assert "That page cursor is not valid" in capsys.readouterr().err
