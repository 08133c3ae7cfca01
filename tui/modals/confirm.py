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
from typing import ClassVar

from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui import outside_text


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
