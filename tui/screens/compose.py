"""Compose screen: write and send an email from the keyboard.

To/Cc/Bcc are checked as you type and complete from recent recipients; the body is a
TextArea (Markdown, plain text or HTML) with a live preview, and `ctrl+e` hands it to
$EDITOR (the app suspends and comes back). Attachments come from a local file picker
or the stored-file catalogue. Template mode sends an SES template with JSON data (the
preview is SES's own rendering), or a bulk send from a CSV file with progress.
Every send goes through a confirmation showing recipients, size and cost; the new
log opens when it is done. All service calls run in thread workers."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import Suggester
from textual.timer import Timer
from textual.validation import ValidationResult, Validator
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    Markdown,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.worker import Worker

from tui import outside_text
from tui.modals.confirm import listing, size_text
from tui.palette import PaletteCommand, ScreenCommands
from tui.screens.base import ServiceScreen

if TYPE_CHECKING:
    from core.mail.bulk import BulkPlan, BulkResult
    from core.mail.send import Prepared, SendResult
    from core.validation import SendEmailRequest
    from tui.modals.send_progress import BulkProgress

MODES = (
    ("Markdown", "markdown"),
    ("Plain text", "text"),
    ("HTML", "html"),
    ("SES template", "template"),
)
CATEGORIES = ("notification", "client-portal", "system", "auth", "marketing")
PRIORITIES = ("normal", "high", "urgent", "low")
PREVIEW_DELAY = 0.15
RENDER_DELAY = 0.4


class AddressList(Validator):
    """A comma-separated list of addresses, each valid and sendable by SES."""

    def __init__(self, required: bool) -> None:
        super().__init__()
        self.required = required

    def validate(self, value: str) -> ValidationResult:
        from core.mail.recipients import check_addresses

        found = check_addresses(value)
        if found.problems:  # the first in full; the rest counted, so the form stays readable
            more = len(found.problems) - 1
            text = found.problems[0] + (f" (and {more} more)" if more else "")
            return self.failure(text, value)
        if self.required and not found.addresses:
            return self.failure("at least one recipient", value)
        return self.success()


class RecipientSuggester(Suggester):
    """Completes the address being typed (after the last comma) from recent ones."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.addresses: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        cut = max(value.rfind(","), value.rfind(";"), value.rfind(" ")) + 1
        head, token = value[:cut], value[cut:].strip().lower()
        if not token:
            return None
        typed = {a.strip().lower() for a in value[:cut].replace(";", ",").split(",")}
        for address in self.addresses:
            if address.startswith(token) and address != token and address not in typed:
                return head + address
        return None


class ComposeCommands(ScreenCommands):
    """Command palette: the Compose screen's actions (the same as its keys)."""

    def _commands(self) -> list[PaletteCommand]:
        screen = self.screen
        if not isinstance(screen, ComposeScreen):
            return []
        return [
            ("Compose: send", "Check, confirm and send (ctrl+s)", screen.action_send),
            ("Compose: attach a local file", "File picker (ctrl+o)", screen.action_attach_local),
            (
                "Compose: attach a stored file",
                "From the Files catalogue (ctrl+f)",
                screen.action_attach_stored,
            ),
            (
                "Compose: edit in $EDITOR",
                "Suspend and open the body (ctrl+e)",
                screen.action_edit_external,
            ),
            (
                "Compose: remove the attachment",
                "The highlighted one (ctrl+r)",
                screen.action_remove_attachment,
            ),
            ("Compose: new message", "Clear the form, asks first (ctrl+n)", screen.action_new),
        ]


class ComposeScreen(ServiceScreen):
    TITLE = "Compose"
    COMMANDS: ClassVar[set[Any]] = {ComposeCommands}
    DEFAULT_CSS = """
    ComposeScreen #compose-columns { height: 1fr; }
    ComposeScreen #compose-form { width: 3fr; padding: 0 1; }
    ComposeScreen #compose-preview-box { width: 2fr; border-left: solid $panel; padding: 0 1; }
    ComposeScreen .compose-row { height: auto; }
    ComposeScreen .compose-row Select { width: 1fr; }
    ComposeScreen .compose-row Input { width: 1fr; }
    ComposeScreen .compose-row .check { width: 1fr; }
    ComposeScreen #subject { width: 2fr; }
    ComposeScreen .compose-row { margin-bottom: 1; }
    ComposeScreen .compose-row Label { padding: 0 1 0 0; }
    ComposeScreen .check { height: auto; padding: 0 1; color: $text-muted; }
    ComposeScreen .check.-bad { color: $error; }
    ComposeScreen #body { height: 14; }
    ComposeScreen #template-data { height: 8; }
    ComposeScreen #template-box { height: auto; display: none; }
    ComposeScreen.-template #template-box { display: block; }
    ComposeScreen.-template #body { display: none; }
    ComposeScreen #attachments { height: auto; max-height: 8; }
    ComposeScreen #preview-scroll { height: 1fr; }
    ComposeScreen #preview-text { height: auto; }
    ComposeScreen .section { margin-top: 1; text-style: bold; color: $accent; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("ctrl+s", "send", "Send", id="compose.send", priority=True),
        Binding("ctrl+e", "edit_external", "$EDITOR", id="compose.editor", priority=True),
        Binding("ctrl+o", "attach_local", "Attach file", id="compose.attach.local"),
        Binding("ctrl+f", "attach_stored", "Attach stored", id="compose.attach.stored"),
        Binding("ctrl+r", "remove_attachment", "Remove attachment", id="compose.attach.remove"),
        Binding("ctrl+n", "new", "New", id="compose.new"),
        Binding("escape", "blur", "Leave field", show=False, id="compose.blur"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.suggester = RecipientSuggester()
        # (kind, value, label): kind "path" or "fileId"
        self.attachments: list[tuple[str, str, str]] = []
        self._preview_timer: Timer | None = None
        self._render_timer: Timer | None = None
        self._cancel = threading.Event()
        self._progress: BulkProgress | None = None

    # --- layout ------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="compose-columns"):
            with VerticalScroll(id="compose-form", can_focus=False):
                with Horizontal(classes="compose-row"):
                    yield Label("Body")
                    yield Select(
                        MODES, value="markdown", allow_blank=False, id="mode", compact=True
                    )
                    yield Label("Category")
                    yield Select(
                        [(c, c) for c in CATEGORIES],
                        value="notification",
                        allow_blank=False,
                        id="category",
                        compact=True,
                    )
                    yield Label("Priority")
                    yield Select(
                        [(p, p) for p in PRIORITIES],
                        value="normal",
                        allow_blank=False,
                        id="priority",
                        compact=True,
                    )
                yield self._address_input("to", required=True)
                yield Static("", id="to-check", classes="check")
                with Horizontal(classes="compose-row"):
                    yield self._address_input("cc", required=False)
                    yield self._address_input("bcc", required=False)
                with Horizontal(classes="compose-row"):
                    yield Static("", id="cc-check", classes="check")
                    yield Static("", id="bcc-check", classes="check")
                with Horizontal(classes="compose-row"):
                    yield Input(
                        placeholder="Subject (1-200 characters)", max_length=200, id="subject"
                    )
                    yield Input(placeholder="Tags: key=value, … (optional)", id="tags")
                with Vertical(id="template-box"):
                    yield Label("Template", classes="section")
                    yield Select([], prompt="choose a template", id="template")
                    yield Label("Data (JSON)")
                    yield TextArea("{\n}", language="json", id="template-data")
                    yield Input(
                        placeholder="Bulk: CSV file (email column + one per variable); "
                        "empty sends one message",
                        id="bulk-csv",
                    )
                    yield Checkbox("Skip bad CSV rows", id="skip-bad-rows")
                yield TextArea(
                    "", language="markdown", soft_wrap=True, tab_behavior="indent", id="body"
                )
                yield Label(
                    "Attachments · ctrl+o file · ctrl+f stored · ctrl+r remove", classes="section"
                )
                yield OptionList(id="attachments")
                yield Static("", id="compose-summary", classes="check")
            with Vertical(id="compose-preview-box"):
                yield Label("Preview", classes="section")
                with VerticalScroll(id="preview-scroll"):
                    yield Markdown("", id="preview-md")
                    yield Static("", id="preview-text", markup=False)

    def _address_input(self, field: str, required: bool) -> Input:
        return Input(
            placeholder=f"{field.capitalize()}: addresses, comma-separated",
            suggester=self.suggester,
            validators=[AddressList(required)],
            validate_on=["changed", "submitted"],
            valid_empty=not required,
            id=field,
        )

    def on_mount(self) -> None:
        self.query_one("#preview-text").display = False
        self._show_attachments()
        self.query_one("#to", Input).focus()

    def refresh_data(self) -> None:
        self.load_choices()

    @work(thread=True, exclusive=True, group="compose-load", exit_on_error=False)
    def load_choices(self) -> None:
        from core.mail.recipients import recent_recipients
        from core.mail.templates import list_templates

        runtime = self.runtime
        if runtime is None:
            return
        recent = recent_recipients(runtime.store)
        names = [str(t["name"]) for t in list_templates(runtime)]
        self.app.call_from_thread(self._choices_loaded, recent, names)

    def _choices_loaded(self, recent: list[str], names: list[str]) -> None:
        self.suggester.addresses = recent
        self.query_one("#template", Select).set_options([(outside_text.text(n), n) for n in names])

    def worker_failed(self, worker: Worker[object], error: BaseException) -> None:
        self._close_progress()
        title = "Not sent" if worker.group == "compose-send" else "Compose"
        self.depllc.report_error(error, title=title)

    # --- form state --------------------------------------------------------------

    @property
    def mode(self) -> str:
        return str(self.query_one("#mode", Select).value)

    @on(Select.Changed, "#mode")
    def _mode_changed(self, _event: Select.Changed) -> None:
        mode = self.mode
        self.set_class(mode == "template", "-template")
        body = self.query_one("#body", TextArea)
        body.language = {"markdown": "markdown", "html": "html"}.get(mode)
        self._update_preview()

    @on(Input.Changed, "#to, #cc, #bcc")
    def _address_changed(self, event: Input.Changed) -> None:
        check = self.query_one(f"#{event.input.id}-check", Static)
        result = event.validation_result
        if not event.value.strip():
            check.update("")
            check.remove_class("-bad")
        elif result is not None and not result.is_valid:
            check.update(outside_text.text("✗ " + "; ".join(result.failure_descriptions)))
            check.add_class("-bad")
        else:
            from core.mail.recipients import split_addresses

            count = len(split_addresses(event.value))
            check.update(f"✓ {count} address{'es' if count != 1 else ''}")
            check.remove_class("-bad")

    @on(TextArea.Changed, "#body")
    def _body_changed(self, _event: TextArea.Changed) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._update_preview)

    @on(TextArea.Changed, "#template-data")
    @on(Select.Changed, "#template")
    def _template_changed(self, _event: object) -> None:
        if self._render_timer is not None:
            self._render_timer.stop()
        self._render_timer = self.set_timer(RENDER_DELAY, self._request_render)

    def _update_preview(self) -> None:
        mode = self.mode
        markdown = self.query_one("#preview-md", Markdown)
        text = self.query_one("#preview-text", Static)
        body = self.query_one("#body", TextArea).text
        markdown.display = mode == "markdown"
        text.display = mode != "markdown"
        if mode == "markdown":
            markdown.update(body)
        elif mode == "html":
            from core.mail.mime import html_to_text

            text.update(
                outside_text.text(html_to_text(body) if body.strip() else "", multiline=True)
            )
        elif mode == "text":
            text.update(outside_text.text(body, multiline=True))
        else:
            self._request_render()

    def _request_render(self) -> None:
        if self.mode != "template" or self.runtime is None:
            return
        name = self.query_one("#template", Select).value
        if not isinstance(name, str):
            self.query_one("#preview-text", Static).update("Choose a template.")
            return
        self.render_template(name, self.query_one("#template-data", TextArea).text)

    @work(thread=True, exclusive=True, group="compose-render", exit_on_error=False)
    def render_template(self, name: str, data_text: str) -> None:
        from core.errors import DepllcError, describe
        from core.mail.templates import get_template, parse_data, render

        runtime = self.runtime
        assert runtime is not None
        try:
            data = parse_data(data_text)
            template = get_template(runtime, name)
            rendered = render(runtime, name, data)
        except DepllcError as exc:
            variables = ""
            with contextlib.suppress(DepllcError):
                variables = ", ".join(get_template(runtime, name).variables)
            shown = f"{describe(exc).text}\n\nVariables: {variables or '-'}"
            self.app.call_from_thread(self._show_render, shown)
            return
        shown = (
            f"Subject: {rendered.subject}\n"
            f"Variables: {', '.join(template.variables)}\n\n{rendered.text or ''}"
        )
        self.app.call_from_thread(self._show_render, shown)

    def _show_render(self, text: str) -> None:
        self.query_one("#preview-md").display = False
        preview = self.query_one("#preview-text", Static)
        preview.display = True
        preview.update(outside_text.text(text, multiline=True))  # SES's rendering, errors

    # --- attachments -------------------------------------------------------------

    def _show_attachments(self) -> None:
        listing = self.query_one("#attachments", OptionList)
        listing.clear_options()
        if not self.attachments:
            listing.add_option("(none)")
            return
        listing.add_options([outside_text.text(label) for _kind, _value, label in self.attachments])

    def add_attachment(self, kind: str, value: str, label: str) -> None:
        from core.validation import EMAIL_CONSTANTS

        if len(self.attachments) >= EMAIL_CONSTANTS.ATTACHMENT_MAX_COUNT:
            self.notify(
                f"At most {EMAIL_CONSTANTS.ATTACHMENT_MAX_COUNT} attachments.", severity="warning"
            )
            return
        if any(k == kind and v == value for k, v, _ in self.attachments):
            return
        self.attachments.append((kind, value, label))
        self._show_attachments()

    def action_attach_local(self) -> None:
        from tui.modals.compose_pickers import LocalFilePicker

        def picked(path: str | None) -> None:
            if path:
                file = Path(path)
                size = size_text(file.stat().st_size) if file.exists() else "?"
                self.add_attachment("path", path, f"{file.name}  ({size}, local)")

        self.app.push_screen(LocalFilePicker(), picked)

    def action_attach_stored(self) -> None:
        from tui.modals.compose_pickers import StoredFilePicker

        runtime = self.runtime
        if runtime is None:
            self.notify("Not connected yet.", severity="warning")
            return

        def picked(file_id: str | None) -> None:
            if file_id:
                self.describe_stored(file_id)

        self.app.push_screen(StoredFilePicker(runtime), picked)

    @work(thread=True, group="compose-attach", exit_on_error=False)
    def describe_stored(self, file_id: str) -> None:
        from core.mail.attachments import stored_record

        runtime = self.runtime
        assert runtime is not None
        record = stored_record(runtime, file_id)
        label = f"{record.originalName}  ({size_text(record.size)}, stored)"
        self.app.call_from_thread(self.add_attachment, "fileId", file_id, label)

    def action_remove_attachment(self) -> None:
        listing = self.query_one("#attachments", OptionList)
        index = listing.highlighted
        if not self.attachments:
            return
        if index is None or index >= len(self.attachments):
            index = len(self.attachments) - 1
        removed = self.attachments.pop(index)
        self._show_attachments()
        self.notify(f"Removed {removed[2].split('  ')[0]}")

    # --- $EDITOR -----------------------------------------------------------------

    def action_edit_external(self) -> None:
        """Hand the body (or the template data) to $VISUAL / $EDITOR."""
        target_id = "#template-data" if self.mode == "template" else "#body"
        area = self.query_one(target_id, TextArea)
        suffix = {"markdown": ".md", "html": ".html", "text": ".txt"}.get(self.mode, ".json")
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        handle, name = tempfile.mkstemp(prefix="depllc-", suffix=suffix)
        path = Path(name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(area.text)
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), str(path)], check=False)
            except SuspendNotSupported:
                self.notify("This terminal cannot hand over to an editor.", severity="warning")
                return
            except OSError as exc:
                self.notify(f"Cannot run {editor!r}: {exc.strerror}", severity="error")
                return
            area.text = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)
        area.focus()

    # --- send --------------------------------------------------------------------

    def _tags(self) -> dict[str, str] | None:
        from core.errors import InputError

        text = self.query_one("#tags", Input).value
        tags: dict[str, str] = {}
        for item in (t.strip() for t in text.split(",")):
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InputError(f"Tag {item!r} is not key=value.")
            tags[key.strip()] = value.strip()
        return tags or None

    def build_request(self) -> SendEmailRequest:
        """The form as a request (pydantic errors become one readable line)."""
        from core.mail.recipients import split_addresses
        from core.mail.templates import parse_data
        from core.validation import SendEmailRequest

        mode = self.mode
        subject = self.query_one("#subject", Input).value
        body = self.query_one("#body", TextArea).text
        fields: dict[str, Any] = {
            "to": split_addresses(self.query_one("#to", Input).value),
            "cc": split_addresses(self.query_one("#cc", Input).value),
            "bcc": split_addresses(self.query_one("#bcc", Input).value),
            "subject": subject,
            "category": self.query_one("#category", Select).value,
            "priority": self.query_one("#priority", Select).value,
            "tags": self._tags(),
            "attachments": [{kind: value} for kind, value, _ in self.attachments],
        }
        if mode == "template":
            name = self.query_one("#template", Select).value
            fields["templateId"] = name if isinstance(name, str) else None
            fields["templateData"] = parse_data(self.query_one("#template-data", TextArea).text)
            fields["subject"] = subject or (name if isinstance(name, str) else "template")
        else:
            fields[
                {"markdown": "markdownContent", "html": "htmlContent"}.get(mode, "textContent")
            ] = body if body.strip() else None
        return SendEmailRequest.model_validate(fields)

    def action_send(self) -> None:
        if self.runtime is None:
            self.notify("Not connected yet.", severity="warning")
            return
        bulk_csv = self.query_one("#bulk-csv", Input).value.strip()
        if self.mode == "template" and bulk_csv:
            name = self.query_one("#template", Select).value
            if not isinstance(name, str):
                self.notify("Choose a template.", severity="warning")
                return
            try:
                tags = self._tags()
            except Exception as exc:
                self.depllc.report_error(exc, title="Check the form")
                return
            from core.vocabulary import EmailCategory, EmailPriority

            options = {  # read here, on the UI thread
                "skip_bad_rows": self.query_one("#skip-bad-rows", Checkbox).value,
                "category": EmailCategory(str(self.query_one("#category", Select).value)),
                "priority": EmailPriority(str(self.query_one("#priority", Select).value)),
                "tags": tags,
            }
            self.plan_bulk(name, bulk_csv, options)
            return
        try:
            request = self.build_request()
        except Exception as exc:
            self.depllc.report_error(exc, title="Check the form")
            return
        self.prepare_send(request, False)

    @work(thread=True, exclusive=True, group="compose-send", exit_on_error=False)
    def prepare_send(self, request: SendEmailRequest, allow_suppressed: bool) -> None:
        from core.mail.send import SuppressedError, prepare

        runtime = self.runtime
        assert runtime is not None
        try:
            prepared = prepare(runtime, request, allow_suppressed=allow_suppressed)
        except SuppressedError as exc:
            if exc.overridable and not allow_suppressed:
                self.app.call_from_thread(self._ask_override, request, exc.message)
                return
            raise
        self.app.call_from_thread(self._confirm, prepared)

    def _ask_override(self, request: SendEmailRequest, text: str) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.prepare_send(request, True)

        self.app.push_screen(
            ConfirmAction(
                "Send to manually suppressed recipients?",
                [("Refused", text)],
                "A person suppressed these addresses. Yes sends to them anyway (audited).",
                yes="Override",
            ),
            answered,
        )

    def _confirm(self, prepared: Prepared) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed, send_facts

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.deliver_send(prepared)

        self.app.push_screen(
            ConfirmAction(
                "Send this email?",
                send_facts(prepared),
                "It goes out through SES now, with its log.",
                yes="Send",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="compose-send", exit_on_error=False)
    def deliver_send(self, prepared: Prepared) -> None:
        from core.mail.send import abandon_delivery, deliver
        from tui.interrupts import send_said

        runtime = self.runtime
        assert runtime is not None
        # a signal stops it as on the command line (tui/interrupts.py, DepllcApp.interrupt)
        with self.depllc.running.work(lambda: abandon_delivery(runtime, prepared)) as work:
            result = deliver(runtime, prepared, cancel=work.cancel)
            work.said += send_said(result)
        self.app.call_from_thread(self._sent, result)

    def _sent(self, result: SendResult) -> None:
        for warning in result.warnings:
            self.notify(warning, severity="warning", timeout=15)
        if result.ok:
            ids = ", ".join(o.message_id or "" for o in result.outcomes)
            self.notify(f"SES MessageId {ids}", title=f"Sent ({len(result.outcomes)} log)")
            self.clear_form()
        else:
            problems = "; ".join(o.error or o.status for o in result.outcomes if o.status != "sent")
            self.notify(problems, title="Not sent", severity="error", timeout=20)
        self.query_one("#compose-summary", Static).update(
            outside_text.text(
                "Last send: " + ", ".join(f"{o.status} {o.log_id}" for o in result.outcomes)
            )
        )
        self.open_log(result.log_ids[0])

    def open_log(self, log_id: str) -> None:
        from tui.screens.log_detail import LogDetailScreen

        self.app.push_screen(LogDetailScreen(log_id))

    # --- bulk --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="compose-send", exit_on_error=False)
    def plan_bulk(self, template: str, csv_path: str, options: dict[str, Any]) -> None:
        from core.mail import bulk

        runtime = self.runtime
        assert runtime is not None
        plan = bulk.plan(runtime, template, csv_path, **options)
        self.app.call_from_thread(self._confirm_bulk, plan)

    def _confirm_bulk(self, plan: BulkPlan) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed

        facts: list[tuple[str, object]] = [
            ("Template", plan.template.name),
            ("Recipients", f"{len(plan.rows)} (one log each; SES calls of 50)"),
            ("First", listing([r.email for r in plan.rows], 5)),
            ("Pace", f"{plan.quota.rate:g}/s, about {plan.seconds:.0f} s"),
            ("Quota left", plan.quota.remaining_text()),
            ("Cost", f"${plan.cost:.4f}"),
        ]
        if plan.skipped:
            facts.append(
                (
                    "Skipped",
                    f"{len(plan.skipped)} bad row(s): "
                    + "; ".join(str(e) for e in plan.skipped[:5]),
                )
            )

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                from tui.modals.send_progress import BulkProgress

                self._cancel = threading.Event()
                self._progress = BulkProgress(len(plan.rows), self._cancel)
                self.app.push_screen(self._progress)
                self.run_bulk(plan, self._cancel)

        self.app.push_screen(
            ConfirmAction(
                "Send to every row?", facts, "Each row gets its own message and log.", yes="Send"
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="compose-send", exit_on_error=False)
    def run_bulk(self, plan: BulkPlan, cancel: threading.Event) -> None:
        from core.mail import bulk
        from tui.interrupts import bulk_said

        runtime = self.runtime
        assert runtime is not None

        def progress(done: int, total: int) -> None:
            if self._progress is not None:
                self.app.call_from_thread(self._progress.advance, done, total)

        sender = bulk.BulkSend(runtime, plan)
        # Esc (BulkProgress) and a signal (DepllcApp.interrupt) stop it the same way
        with self.depllc.running.work(lambda: bulk_said(sender.abandon()), cancel) as work:
            result = sender.run(progress=progress, cancel=cancel)
            work.said += bulk_said(result)
        self.app.call_from_thread(self._bulk_done, result)

    def _close_progress(self) -> None:
        if self._progress is not None and self._progress.is_attached:
            self._progress.dismiss()
        self._progress = None

    def _bulk_done(self, result: BulkResult) -> None:
        self._close_progress()
        text = (
            f"sent {result.count('sent')}, failed {result.count('failed')}, unknown "
            f"{result.count('unknown')}, not attempted {result.not_attempted} "
            f"in {result.seconds:.1f} s"
        )
        self.query_one("#compose-summary", Static).update(
            outside_text.text(f"Last bulk send: {text}")
        )
        self.notify(
            text + (f" — stopped: {result.stopped}" if result.stopped else ""),
            title="Bulk send",
            severity="information" if result.ok else "warning",
            timeout=20,
        )
        if result.destinations:
            self.open_log(result.destinations[0].log_id)

    def action_blur(self) -> None:
        """Leave the focused field, so 1-4 switch screens again."""
        self.set_focus(None)

    # --- reset -------------------------------------------------------------------

    def draft_filled(self) -> list[str]:
        """What the form holds that a reset would lose (field names)."""
        filled = [
            name
            for name in ("to", "cc", "bcc", "subject", "tags", "bulk-csv")
            if self.query_one(f"#{name}", Input).value.strip()
        ]
        if self.query_one("#body", TextArea).text.strip():
            filled.append("body")
        if self.query_one("#template-data", TextArea).text.strip() not in ("", "{\n}", "{}"):
            filled.append("template data")
        if self.attachments:
            filled.append(f"{len(self.attachments)} attachment(s)")
        return filled

    def action_new(self) -> None:
        """ctrl+n: a new message; a filled draft is discarded only when confirmed."""
        from tui.modals.confirm import ConfirmAction, Confirmed

        filled = self.draft_filled()
        if not filled:
            self.clear_form()
            return
        subject = self.query_one("#subject", Input).value.strip()

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.clear_form()

        self.app.push_screen(
            ConfirmAction(
                "Discard this draft?",
                [("Subject", subject or "(none)"), ("Filled", ", ".join(filled))],
                "The form is emptied; nothing of this draft is kept.",
                yes="Discard",
            ),
            answered,
        )

    def clear_form(self) -> None:
        for field in ("to", "cc", "bcc", "subject", "tags", "bulk-csv"):
            self.query_one(f"#{field}", Input).value = ""
        for field in ("to", "cc", "bcc"):
            self.query_one(f"#{field}-check", Static).update("")
        self.query_one("#body", TextArea).text = ""
        self.query_one("#template-data", TextArea).text = "{\n}"
        self.attachments.clear()
        self._show_attachments()
        self.query_one("#to", Input).focus()
