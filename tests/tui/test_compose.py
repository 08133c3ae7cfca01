"""Pilot: the Compose screen sends a Markdown email with one local and one stored
attachment, checks addresses as they are typed, previews Markdown and templates,
hands the body to $EDITOR, asks before overriding a manual suppression, and runs a
bulk send with progress."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Markdown, Select, Static, TextArea

from core import suppressions
from core.models import EmailLog, FileMetadata, FileRecord, S3Info
from core.runtime import Runtime
from core.vocabulary import EmailStatus, FileCategory, FileStatus, SuppressionReason
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.compose_pickers import LocalFilePicker, StoredFilePicker
from tui.modals.confirm import ConfirmAction
from tui.screens.compose import ComposeScreen, RecipientSuggester
from tui.screens.log_detail import LogDetailScreen

SIZE = (160, 48)


def seed_stored_file(runtime: Runtime) -> FileRecord:
    bucket = runtime.settings.aws_s3_bucket
    assert bucket
    data = b"%PDF-1.4 signed contract for Globex"
    key = "contract/tester/1700000000000-abcd-Contract_Globex.pdf"
    put = runtime.aws.s3.put_object(Bucket=bucket, Key=key, Body=data)
    record = FileRecord(
        key=key,
        fileName="Contract_Globex.pdf",
        originalName="Contrat Globex – signé.pdf",
        contentType="application/pdf",
        size=len(data),
        category=FileCategory.CONTRACT,
        status=FileStatus.COMPLETED,
        userId="tester",
        metadata=FileMetadata(uploadedBy="tester"),
        s3Info=S3Info(bucket=bucket, region="us-east-1", versionId=put.get("VersionId")),
    )
    record.id = runtime.store.files.insert_one(record.to_mongo()).inserted_id
    return record


async def open_compose(pilot: Any, app: DepllcApp) -> ComposeScreen:
    await app.switch_mode("compose")
    await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    await pilot.pause()
    return screen


async def open_template(pilot: Any, app: DepllcApp, name: str) -> ComposeScreen:
    """Compose in template mode with SES template `name` picked (once the list loaded)."""
    screen = await open_compose(pilot, app)
    await until(pilot, lambda: len(screen.query_one("#template", Select)._options) > 1)
    screen.query_one("#mode", Select).value = "template"
    screen.query_one("#template", Select).value = name
    return screen


async def type_into(pilot: Any, screen: ComposeScreen, selector: str, text: str) -> None:
    screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press(*list(text))


def ses_message_ids(runtime: Runtime) -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][runtime.settings.aws_region]
    return [m.id for m in backend.sent_messages]


async def test_compose_and_send_markdown_with_local_and_stored_attachments(
    runtime: Runtime, tmp_path: Path
) -> None:
    local = tmp_path / "relevé T3.pdf"
    local.write_bytes(b"%PDF-1.4 quarterly statement")
    stored = seed_stored_file(runtime)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, app)
        await type_into(pilot, screen, "#to", "client@example.com")
        assert "✓ 1 address" in str(screen.query_one("#to-check", Static).render())
        await type_into(pilot, screen, "#subject", "Your statement")
        body = screen.query_one("#body", TextArea)
        body.focus()
        await pilot.press(
            *list("# Statement"), "enter", "enter", *list("Please find it **attached**.")
        )
        # the live preview follows the Markdown
        preview = screen.query_one("#preview-md", Markdown)
        await until(pilot, lambda: "Please find it" in (preview.source or ""))

        # a local file through the picker (typed path, Enter)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, LocalFilePicker))
        path_input = app.screen.query_one("#picker-path", Input)
        path_input.value = str(local)
        path_input.focus()
        await pilot.press("enter")
        await until(pilot, lambda: len(screen.attachments) == 1)

        # a stored file through the catalogue picker (filter, Enter)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, StoredFilePicker))
        picker = app.screen
        await pilot.press(*list("Globex"))
        await until(pilot, lambda: picker.query_one("#stored-table").row_count == 1)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: len(screen.attachments) == 2)
        assert screen.attachments[1][:2] == ("fileId", str(stored.id))

        # confirm: recipients, size and cost, then the new log opens
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        summary = app.screen.plain
        assert "To: client@example.com" in summary
        assert "Cost: $0.0001" in summary
        assert "Size:" in summary and "relevé T3.pdf" in summary
        assert "Contrat Globex – signé.pdf" in summary
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))

    docs = list(runtime.store.emaillogs.find())
    assert len(docs) == 1
    log = EmailLog.model_validate(docs[0])
    assert log.status == EmailStatus.SENT
    assert log.messageId in ses_message_ids(runtime)  # the SES MessageId, not a placeholder
    assert log.to == ["client@example.com"] and log.subject == "Your statement"
    assert log.content.text and "Please find it **attached**." in log.content.text
    assert log.content.html and "<strong>attached</strong>" in log.content.html
    assert [a["filename"] for a in log.attachments or []] == [
        "relevé T3.pdf",
        "Contrat Globex – signé.pdf",
    ]
    assert log.events[0].metadata == {"sesMessageId": log.messageId}


async def test_invalid_address_is_flagged_as_you_type_and_refused(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, app)
        await type_into(pilot, screen, "#to", "client@example.com, bob@")
        check = screen.query_one("#to-check", Static)
        assert check.has_class("-bad")
        assert "'bob@' is not a valid address" in str(check.render())
        await type_into(pilot, screen, "#to", ", carol, dave")  # the field now has three
        shown = str(check.render())
        assert "'bob@' is not a valid address" in shown and "(and 2 more)" in shown
        assert "carol" not in shown  # counted, not listed: the form stays readable
        await type_into(pilot, screen, "#subject", "Hi")
        screen.query_one("#body", TextArea).text = "hello"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmAction)  # refused before anything
    assert runtime.store.emaillogs.count_documents({}) == 0


async def test_opening_compose_loads_its_choices_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    real = ComposeScreen.load_choices
    monkeypatch.setattr(ComposeScreen, "load_choices", lambda self: (loads.append(1), real(self)))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, app)
        await pilot.pause()
        assert loads == [1]  # Textual runs each class's on_mount: no super() chain
        assert screen.query_one("#to", Input).has_focus


async def test_recipient_suggestions_complete_the_last_address() -> None:
    suggester = RecipientSuggester()
    suggester.addresses = ["nora@acme.example", "nils@acme.example"]
    assert await suggester.get_suggestion("a@b.example, no") == "a@b.example, nora@acme.example"
    assert await suggester.get_suggestion("ni") == "nils@acme.example"
    assert await suggester.get_suggestion("nora@acme.example, nor") is None  # already there
    assert await suggester.get_suggestion("x@y.example, ") is None


async def test_suggestions_come_from_recent_recipients(runtime: Runtime) -> None:
    from core.mail import send as mail
    from core.validation import SendEmailRequest

    mail.send(
        runtime,
        SendEmailRequest(
            to=["nora.king@northwind.example"],
            subject="s",
            textContent="t",
            category="notification",
        ),
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, app)
        await until(pilot, lambda: bool(screen.suggester.addresses))
        await type_into(pilot, screen, "#to", "nora")
        to = screen.query_one("#to", Input)
        await until(pilot, lambda: to._suggestion == "nora.king@northwind.example")
        await pilot.press("right")
        assert to.value == "nora.king@northwind.example"


async def test_template_mode_renders_with_ses_and_sends(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_template(pilot, app, "welcome-client")
        data = screen.query_one("#template-data", TextArea)
        data.text = '{"name": "Ada"}'
        preview = screen.query_one("#preview-text", Static)
        await until(pilot, lambda: "needs data for: portal_url" in str(preview.render()))
        data.text = '{"name": "Ada", "portal_url": "https://portal.example/ada"}'
        await until(pilot, lambda: "Subject: Welcome to DepLLC, Ada" in str(preview.render()))
        await type_into(pilot, screen, "#to", "ada@example.com")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "welcome-client (SES template)" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
    doc = runtime.store.emaillogs.find_one()
    assert doc and doc["status"] == "sent" and doc["templateId"] == "welcome-client"


async def test_manual_suppression_asks_before_overriding(runtime: Runtime) -> None:
    suppressions.add(runtime.store, "paused@example.com", SuppressionReason.MANUAL, by="ops")
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, app)
        await type_into(pilot, screen, "#to", "paused@example.com")
        await type_into(pilot, screen, "#subject", "Back on")
        screen.query_one("#body", TextArea).text = "hello"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        text = app.screen.plain
        assert "paused@example.com is suppressed (manual on" in text
        await pilot.press("y")  # override
        await until(
            pilot,
            lambda: isinstance(app.screen, ConfirmAction) and "Send this email" in app.screen.plain,
        )
        assert "Overrides: manual suppression of paused@example.com" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
    doc = runtime.store.emaillogs.find_one()
    assert doc and doc["status"] == "sent"


async def test_complaint_is_refused_without_an_override(runtime: Runtime) -> None:
    suppressions.add(runtime.store, "angry@example.com", SuppressionReason.COMPLAINT, by="ses")
    app = DepllcApp(runtime.settings, runtime=runtime)
    notes: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        original = app.notify

        def record(message: str, **kw: Any) -> None:
            notes.append(str(message))
            original(message, **kw)

        app.notify = record  # type: ignore[method-assign]
        screen = await open_compose(pilot, app)
        await type_into(pilot, screen, "#to", "angry@example.com")
        await type_into(pilot, screen, "#subject", "Hi")
        screen.query_one("#body", TextArea).text = "hello"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("complaint" in n for n in notes))
        assert not isinstance(app.screen, ConfirmAction)
    assert runtime.store.emaillogs.count_documents({}) == 0


@pytest.fixture
def editor_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    script = tmp_path / "fake-editor.sh"
    script.write_text('#!/bin/sh\nprintf "# Written in the editor\\n\\nHello from vi." > "$1"\n')
    script.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(script))
    yield script


async def test_ctrl_e_hands_the_body_to_the_editor(runtime: Runtime, editor_script: Path) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    suspended: list[bool] = []

    @contextlib.contextmanager
    def fake_suspend() -> Iterator[None]:
        suspended.append(True)  # the headless test driver cannot suspend
        yield

    async with app.run_test(size=SIZE) as pilot:
        app.suspend = fake_suspend  # type: ignore[method-assign,assignment]
        screen = await open_compose(pilot, app)
        screen.query_one("#body", TextArea).text = "draft"
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert suspended == [True]
        assert (
            screen.query_one("#body", TextArea).text == "# Written in the editor\n\nHello from vi."
        )


async def test_remove_attachment_and_new_form(runtime: Runtime, tmp_path: Path) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, app)
        for name in ("a.txt", "b.txt"):
            (tmp_path / name).write_text(name)
            screen.add_attachment("path", str(tmp_path / name), name)
        screen.set_focus(None)
        await pilot.press("ctrl+r")
        assert [label for _k, _v, label in screen.attachments] == ["a.txt"]
        screen.query_one("#to", Input).value = "x@example.com"
        # a filled draft is discarded only when confirmed
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "Filled: to, 1 attachment(s)" in app.screen.plain
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#to", Input).value == "x@example.com"
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen)
        assert screen.attachments == [] and screen.query_one("#to", Input).value == ""
        await pilot.press("ctrl+n")  # an empty form is simply a new one: nothing to ask
        await pilot.pause(0.1)
        assert app.screen is screen


async def test_bulk_send_from_csv_with_progress(runtime: Runtime, tmp_path: Path) -> None:
    csv = tmp_path / "clients.csv"
    csv.write_text(
        "email,name,portal_url\n"
        + "".join(f"c{i}@example.com,C{i},https://p/{i}\n" for i in range(60))
        + "broken-row,X,https://p/x\n"
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_template(pilot, app, "welcome-client")
        screen.query_one("#bulk-csv", Input).value = str(csv)
        screen.query_one("#skip-bad-rows", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        text = app.screen.plain
        assert "Recipients: 60" in text and "row 62:" in text
        assert "Quota left: 200 today" in text  # moto's daily quota, none sent yet
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen), timeout=30)
        assert "sent 60" in str(screen.query_one("#compose-summary", Static).render())
    assert runtime.store.emaillogs.count_documents({"status": "sent"}) == 60


async def test_bulk_with_an_unlimited_quota_says_unlimited(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.mail import pacing

    unlimited = pacing.Quota(max_send_rate=14.0, max_24h=-1.0, sent_24h=5.0, rate=14.0)
    monkeypatch.setattr(pacing, "get_quota", lambda _runtime: unlimited)
    csv = tmp_path / "clients.csv"
    csv.write_text("email,name,portal_url\na@example.com,A,https://p/1\n")
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_template(pilot, app, "welcome-client")
        screen.query_one("#bulk-csv", Input).value = str(csv)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        text = app.screen.plain
        assert "Quota left: unlimited" in text and "inf" not in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
    assert runtime.store.emaillogs.count_documents({}) == 0
