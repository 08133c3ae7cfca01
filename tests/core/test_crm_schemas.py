"""The CRM's own Mongoose schemas (the guide's EmailLog and File, run by Node with
mongoose from npm) validate every kind of document the console writes: the seeded
sandbox, each kind of send, every SES event type applied, uploads and the file
lifecycle. Mongoose refusing a document means the CRM's web app can no longer save it.

mongoose is installed once into ~/.cache/depllc-test-npm (DEPLLC_TEST_NPM_DIR to move
it); without node/npm, or with the npm registry unreachable, the test is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.events.apply import process_body
from core.logs.export import plain_json
from core.mail.send import send
from core.models import EMAIL_COLLECTION, FILE_COLLECTION
from core.runtime import Runtime
from tests.core.events import bodies as b

# one worker runs this module (its module-scoped fixtures are built once: make test
# distributes the other tests one by one, --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crm-schemas")]

MONGOOSE = "mongoose@8"
SCRIPT = Path(__file__).with_name("crm_schemas.cjs")
MODEL_OF = {EMAIL_COLLECTION: "EmailLog", FILE_COLLECTION: "File"}


def npm_dir() -> Path:
    return Path(os.environ.get("DEPLLC_TEST_NPM_DIR", "~/.cache/depllc-test-npm")).expanduser()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the CRM's Mongoose schemas")
    folder = npm_dir()
    modules = folder / "node_modules"
    if not (modules / "mongoose" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), MONGOOSE],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install {MONGOOSE}: {done.stderr.strip()[-300:]}")
    return modules


def validate(node_modules: Path, items: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """{name: {path: message}} for each (name, collection, stored document)."""
    payload = [
        {"name": name, "model": MODEL_OF[coll], "doc": plain_json(doc)} for name, coll, doc in items
    ]
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(payload, default=str),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NODE_PATH": str(node_modules)},
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["mongoose"].startswith("8.")
    return {r["name"]: r["errors"] for r in answer["results"]}


def invalid(results: dict[str, Any]) -> dict[str, Any]:
    return {name: errors for name, errors in results.items() if errors}


def every_doc(runtime: Runtime, label: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for coll in (EMAIL_COLLECTION, FILE_COLLECTION):
        for doc in runtime.store.db[coll].find():
            yield f"{label} {coll} {doc['_id']}", coll, doc


def test_the_schemas_refuse_what_the_guide_forbids(node_modules: Path) -> None:
    """The check itself: a log holding an event type outside the six is refused."""
    log = b.make_log(b.ses_message_id(), ["ana@client.example"])
    log["events"] = [{"type": "reject", "timestamp": b.T0, "metadata": {"reason": "x"}}]
    results = validate(node_modules, [("reject", EMAIL_COLLECTION, log)])
    assert "events.0.type" in results["reject"]


def test_seeded_sandbox_passes(runtime: Runtime, node_modules: Path) -> None:
    from core.sandbox_seed import seed_all

    summary = seed_all(runtime.store, runtime.aws, runtime.settings)
    items = list(every_doc(runtime, "seed"))
    assert len(items) == summary.logs + summary.files
    assert invalid(validate(node_modules, items)) == {}


def test_sends_events_and_files_pass(
    runtime: Runtime, node_modules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.files.lifecycle import purge, restore, soft_delete
    from core.files.upload import UploadRequest, upload_file
    from core.files.versions import list_versions, restore_version
    from core.mail import bulk, pacing
    from core.mail.resend import resend
    from core.vocabulary import FileCategory
    from tests.core.mail.conftest import FlakyClient, client_error, make_request

    # uploads and the file lifecycle
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    kept = upload_file(runtime, UploadRequest(pdf, FileCategory.CONTRACT, tags=["q3"]))
    gone = upload_file(runtime, UploadRequest(pdf, FileCategory.INVOICE, name="old.pdf"))
    back = upload_file(runtime, UploadRequest(pdf, name="back.pdf"))
    bucket = kept.s3Info.bucket
    runtime.aws.s3.put_object(Bucket=bucket, Key=kept.key, Body=b"%PDF-1.4 edited\n%%EOF\n")
    old = next(v for v in list_versions(runtime, str(kept.id))[1] if v.is_recorded)
    restore_version(runtime, str(kept.id), old.version_id)
    soft_delete(runtime, str(back.id))
    restore(runtime, str(back.id))
    runtime.identity = replace(runtime.whoami(), role="admin")  # purge is admin only
    purge(runtime, str(gone.id), "old.pdf")

    # sends: plain, with a stored attachment, templated, bulk, a resend, a failed one
    plain = send(runtime, make_request(to=["ana@client.example", "ben@client.example"]))
    send(runtime, make_request(attachments=[{"fileId": str(kept.id)}, {"path": str(pdf)}]))
    send(
        runtime,
        make_request(
            markdownContent=None,
            templateId="invoice-reminder",
            templateData={"name": "Ana", "invoice": "INV-1", "amount": "$1", "due": "1 Dec"},
        ),
    )
    csv_text = "email,name,invoice,amount,due\nc1@example.com,C1,INV-1,$1.00,1 Dec\n"
    bulk.send_bulk(runtime, bulk.plan(runtime, "invoice-reminder", "x.csv", csv_text=csv_text))
    resend(runtime, plain.outcomes[0].log_id, ["carla@client.example"])
    real = pacing.send_client(runtime, "sesv2")
    flaky = FlakyClient(real, "send_email", [client_error("MessageRejected", "Not verified.")])
    monkeypatch.setattr(pacing, "send_client", lambda _rt, _svc: flaky)
    failed = send(runtime, make_request(subject="refused"))
    assert failed.outcomes[0].status == "failed"
    monkeypatch.undo()

    # every SES event type, both shapes where SES has two, applied to the plain send
    mid = plain.outcomes[0].message_id
    assert mid
    to = ["ana@client.example", "ben@client.example"]
    ana, ben = to[:1], to[1:]
    # (SES's Send is a duplicate of the console's own send event)
    assert process_body(runtime.store, json.dumps(b.send(mid, to))).outcome == "duplicate"
    events = [
        b.delay(mid, to, ana, b.T0),
        b.delivery(mid, to, ana, b.T0),
        b.delivery(mid, to, ben, b.T0, shape="notificationType"),
        b.opened(mid, to, b.T0),
        b.click(mid, to, b.T0),
        b.bounce(mid, to, ben, b.T0),
        b.complaint(mid, to, ana, b.T0, shape="notificationType"),
        b.subscription(mid, to, b.T0),
        b.reject(mid, to),
        b.rendering_failure(mid, to),
    ]
    for event in events:
        assert process_body(runtime.store, json.dumps(event)).outcome == "applied"

    items = list(every_doc(runtime, "console"))
    assert len(items) >= 9
    assert invalid(validate(node_modules, items)) == {}
