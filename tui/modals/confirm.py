"""The one confirmation of every action that changes delivery state or deletes
(suppress, lift a suppression, delete, restore, purge, resend, send, discard a draft).

It says exactly what will happen: a title in our words, the facts it acts on (which
address, which file, which reason; outside text, shown through tui.outside_text) and
the outcome. `y` (or the Yes button) confirms, `n`/Esc cancels. Two variants ask for
more before Yes counts: a reason (lifting a complaint; it goes into the audit entry)
or the exact name of what is destroyed (purge); then Enter in the field confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui import outside_text

if TYPE_CHECKING:
    from core.mail.send import Prepared


@dataclass(frozen=True)
class Confirmed:
    """A yes; `text` is what was typed (the reason, or the name), else ""."""

    text: str = ""


@dataclass(frozen=True)
class Ask:
    """A field that must be filled before Yes counts: `must_equal` (a name typed to
    confirm) or any non-empty text (a reason)."""

    label: str
    placeholder: str = ""
    must_equal: str | None = None


class ConfirmAction(ModalScreen[Confirmed | None]):
    DEFAULT_CSS = """
    ConfirmAction { align: center middle; }
    ConfirmAction > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    ConfirmAction #confirm-facts { height: auto; margin-top: 1; }
    ConfirmAction #confirm-outcome { height: auto; margin-top: 1; }
    ConfirmAction #confirm-ask-label { height: auto; margin-top: 1; }
    ConfirmAction #confirm-error { height: auto; color: $error; }
    ConfirmAction Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmAction Button { margin-left: 2; min-width: 12; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("y", "yes", "Yes", id="confirm.yes"),
        Binding("n,escape", "no", "No", id="confirm.no"),
    ]

    def __init__(
        self,
        title: str,
        facts: Sequence[tuple[str, object]],
        outcome: str,
        *,
        yes: str = "Yes",
        ask: Ask | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.facts = list(facts)
        self.outcome = outcome
        self.yes_label = yes
        self.ask = ask

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in self.facts:
            grid.add_row(label, outside_text.text(value, no_wrap=False))
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(grid, id="confirm-facts")
            yield Static(self.outcome, id="confirm-outcome", markup=False)
            if self.ask is not None:
                yield Static(self.ask.label, id="confirm-ask-label", markup=False)
                yield Input(placeholder=self.ask.placeholder, id="confirm-ask")
                yield Static("", id="confirm-error")
            with Horizontal():
                key = "enter" if self.ask is not None else "y"
                yield Button("No (n/esc)", id="confirm-no")
                yield Button(f"{self.yes_label} ({key})", variant="warning", id="confirm-yes")

    @property
    def plain(self) -> str:
        """What the modal says, as plain lines (label: value, then the outcome)."""
        lines = [f"{label}: {outside_text.visible(value)}" for label, value in self.facts]
        return "\n".join([self.title_text, *lines, self.outcome])

    def on_mount(self) -> None:
        if self.ask is not None:
            self.query_one("#confirm-ask", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()  # Enter on a stray key says no

    def action_yes(self) -> None:
        if self.ask is None:
            self.dismiss(Confirmed())
            return
        typed = self.query_one("#confirm-ask", Input).value.strip()
        error = self.query_one("#confirm-error", Static)
        if self.ask.must_equal is not None and typed != self.ask.must_equal:
            error.update("That is not the name; nothing was done.")
            return
        if not typed:
            error.update("Fill this in first (Esc cancels).")
            return
        self.dismiss(Confirmed(typed))

    def action_no(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#confirm-ask")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_yes()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_yes()
        else:
            self.action_no()


def size_text(value: int) -> str:
    """A size as people read it (KiB, MiB)."""

    import humanize

    return str(humanize.naturalsize(value, binary=True))


def listing(addresses: list[str], shown: int = 8) -> str:
    """The first `shown` addresses and how many more."""
    more = len(addresses) - shown
    return ", ".join(addresses[:shown]) + (f" (+{more} more)" if more > 0 else "")


def _body_kind(prepared: Prepared) -> str:
    request = prepared.request
    if request.templateId:
        how = "SES template" if prepared.mode == "templated" else "SES's rendering as raw MIME"
        return f"{request.templateId} ({how})"
    if request.markdownContent:
        return "Markdown (text + HTML)"
    return "HTML (+ text)" if request.htmlContent else "plain text"


def send_facts(prepared: Prepared) -> list[tuple[str, object]]:
    """What a checked send (a new message or a resend) will do, for the confirmation:
    sender, recipients, subject, body, messages, size, cost, attachments."""
    parts = prepared.parts
    facts: list[tuple[str, object]] = [
        ("From", prepared.sender),
        ("To", listing([a for p in parts for a in p.to]) or "-"),
    ]
    cc = [a for p in parts for a in p.cc]
    bcc = [a for p in parts for a in p.bcc]
    if cc:
        facts.append(("Cc", listing(cc)))
    if bcc:
        facts.append(("Bcc", listing(bcc)))
    facts += [
        ("Subject", prepared.subject),
        ("Body", _body_kind(prepared)),
        (
            "Recipients",
            f"{len(prepared.recipients)} in {len(parts)} message(s)"
            + (" (SES takes 50 a message)" if len(parts) > 1 else ""),
        ),
        (
            "Size",
            f"{size_text(prepared.size)} a message"
            + ("" if prepared.mode == "templated" else " (SES's limit counts it after base64)"),
        ),
        ("Cost", f"${prepared.cost:.4f}"),
    ]
    if prepared.attachments:
        attached = ", ".join(f"{a.filename} ({size_text(a.size)})" for a in prepared.attachments)
        facts.append(("Attached", attached))
    if prepared.overridden:
        overridden = ", ".join(r.email for r in prepared.overridden)
        facts.append(("Overrides", f"manual suppression of {overridden}"))
    resend_of = (prepared.parts[0].log.customData or {}).get("resendOf") if parts else None
    if resend_of:
        facts.append(("Resend of", str(resend_of)))
    return facts
