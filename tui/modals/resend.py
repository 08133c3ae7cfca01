"""Resend a logged message: to the same recipients, to others (edit To), or to more
(Also to), with the original's attachments (local files, stored files by `fileId`,
including logs the CRM wrote). Enter checks it (core.mail.resend.prepare_resend,
nothing written); a refused recipient is named in the dialog and `ctrl+r` drops every
suppressed one from the fields. The checked resend is returned for the confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from core.mail.send import Prepared
from tui import outside_text
from tui.screens.base import ReportsWorkerErrors

if TYPE_CHECKING:
    from core.models import EmailLog, Suppression
    from core.runtime import Runtime


def _addresses(text: str) -> list[str]:
    from core.mail.recipients import split_addresses

    return split_addresses(text)


class ResendDialog(ReportsWorkerErrors, ModalScreen[Prepared | None]):
    DEFAULT_CSS = """
    ResendDialog { align: center middle; }
    ResendDialog > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ResendDialog Label { margin-top: 1; }
    ResendDialog .resend-info { height: auto; color: $text-muted; }
    ResendDialog #resend-suppressed { height: auto; color: $warning; }
    ResendDialog #resend-error { height: auto; color: $error; }
    ResendDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ResendDialog Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="resend.cancel"),
        Binding("ctrl+s", "check", "Check and confirm", id="resend.check"),
        Binding("ctrl+r", "drop_suppressed", "Remove suppressed", id="resend.drop"),
    ]

    def __init__(self, runtime: Runtime, log_id: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.log_id = log_id
        self.original: EmailLog | None = None
        self.original_to = ""
        self.suppressed: dict[str, Suppression] = {}

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Resend"
            yield Static("Loading…", id="resend-about", classes="resend-info")
            yield Label("To (edit to send to others instead; Cc/Bcc are kept only if To is)")
            yield Input(id="resend-to", placeholder="addresses, comma-separated")
            yield Label("Also to (extra recipients)")
            yield Input(id="resend-add", placeholder="addresses, comma-separated (optional)")
            yield Static("", id="resend-suppressed")
            yield Static("", id="resend-error")
            yield Static(
                "Enter or ctrl+s checks it and asks to confirm · ctrl+r removes the suppressed · "
                "Esc cancels",
                classes="resend-info",
            )
            with Horizontal():
                yield Button("Cancel (esc)", id="resend-cancel")
                yield Button("Remove suppressed (ctrl+r)", id="resend-drop")
                yield Button("Check (enter)", variant="primary", id="resend-ok")

    def on_mount(self) -> None:
        self.query_one("#resend-drop", Button).display = False
        self.query_one("#resend-to", Input).focus()
        self.load()

    @work(thread=True, exclusive=True, group="resend-load", exit_on_error=False)
    def load(self) -> None:
        from core import suppressions
        from core.mail.resend import load_log

        log = load_log(self.runtime, self.log_id)
        found = suppressions.find(self.runtime.store, log.all_recipients)
        self.app.call_from_thread(self._loaded, log, found)

    def _loaded(self, log: EmailLog, found: list[Suppression]) -> None:
        self.original = log
        self.original_to = ", ".join(log.to)
        self.query_one("#resend-to", Input).value = self.original_to
        names = [
            str(a.get("filename") or a.get("fileName") or a.get("fileId") or "?")
            for a in log.attachments or []
            if isinstance(a, dict)
        ]
        about = [f"“{outside_text.visible(log.subject)}” · sent {log.createdAt:%Y-%m-%d %H:%M}"]
        if log.cc or log.bcc:
            about.append(
                "Cc/Bcc: " + outside_text.visible(", ".join([*(log.cc or []), *(log.bcc or [])]))
            )
        about.append("Attachments: " + (outside_text.visible(", ".join(names)) or "none"))
        self.query_one("#resend-about", Static).update(
            outside_text.text("\n".join(about), multiline=True)
        )
        self.suppressed = {s.email: s for s in found}
        self._show_suppressed()

    def _show_suppressed(self) -> None:
        wanted = {a.lower() for a in self._wanted()}
        listed = [s for email, s in self.suppressed.items() if email in wanted]
        self.query_one("#resend-drop", Button).display = bool(listed)
        self.query_one("#resend-suppressed", Static).update(
            outside_text.text(
                "Suppressed: "
                + "; ".join(
                    f"{outside_text.visible(s.email)} ({s.reason.value} since {s.at:%Y-%m-%d})"
                    for s in listed
                )
                + " — ctrl+r removes them"
                if listed
                else "",
                no_wrap=False,
            )
        )

    def _wanted(self) -> list[str]:
        return [
            *_addresses(self.query_one("#resend-to", Input).value),
            *_addresses(self.query_one("#resend-add", Input).value),
        ]

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#resend-error", Static).update("")
        self._show_suppressed()

    def action_drop_suppressed(self) -> None:
        if self.original is None:
            return
        for field in ("#resend-to", "#resend-add"):
            box = self.query_one(field, Input)
            kept = [a for a in _addresses(box.value) if a.lower() not in self.suppressed]
            box.value = ", ".join(kept)
        self._show_suppressed()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_check()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {
            "resend-ok": self.action_check,
            "resend-drop": self.action_drop_suppressed,
            "resend-cancel": self.action_cancel,
        }.get(event.button.id or "", self.action_cancel)()

    def action_check(self) -> None:
        if self.original is None:
            return
        to_text = self.query_one("#resend-to", Input).value
        same = _addresses(to_text) == _addresses(self.original_to)
        recipients = None if same else _addresses(to_text)
        if recipients == []:
            self.query_one("#resend-error", Static).update("Name at least one recipient in To.")
            return
        add = _addresses(self.query_one("#resend-add", Input).value)
        self.prepare(recipients, add)

    @work(thread=True, exclusive=True, group="resend-prepare", exit_on_error=False)
    def prepare(self, recipients: list[str] | None, add: list[str]) -> None:
        from core.errors import DepllcError, describe
        from core.mail.resend import prepare_resend

        try:
            prepared = prepare_resend(self.runtime, self.log_id, recipients, add=add)
        except DepllcError as exc:
            self.app.call_from_thread(self._refused, describe(exc).text)
            return
        self.app.call_from_thread(self.dismiss, prepared)

    def _refused(self, text: str) -> None:
        self.query_one("#resend-error", Static).update(outside_text.text(text, no_wrap=False))
        self._show_suppressed()

    def action_cancel(self) -> None:
        self.dismiss(None)
