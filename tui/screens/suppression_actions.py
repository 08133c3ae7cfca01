"""Suppress and lift, the same on every screen that offers them (Logs, Log detail,
Suppressions): `s` and `u` always ask in the confirm modal, which names the address,
the reason it is on the list and what will happen; lifting a complaint also asks why
(the reason goes into the audit entry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from tui.modals.confirm import Ask, ConfirmAction, Confirmed

if TYPE_CHECKING:
    from core.models import Suppression
    from core.runtime import Runtime

SUPPRESS_OUTCOME = (
    "Every send to this address will be refused until someone lifts the suppression "
    "(u). The change is audited."
)
LIFT_OUTCOME = "Sends to this address will be allowed again. The change is audited."


class SuppressionActions(Screen[None]):
    """Mixed into a screen: `ask_suppress` and `ask_lift`; `suppression_changed` runs
    after a change (reload what the screen shows)."""

    @property
    def store_runtime(self) -> Runtime | None:
        from tui.app import DepllcApp

        app = self.app
        return app.runtime if isinstance(app, DepllcApp) else None

    def suppression_changed(self) -> None:
        """Override: reload after a suppression was added or lifted."""

    def ask_suppress(self, email: str, message_id: str | None = None) -> None:
        facts: list[tuple[str, object]] = [("Address", email), ("Reason", "manual")]
        if message_id:
            facts.append(("Log", message_id))

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.suppress_address(email, message_id)

        self.app.push_screen(
            ConfirmAction("Suppress this address?", facts, SUPPRESS_OUTCOME, yes="Suppress"),
            answered,
        )

    @work(thread=True, group="suppression-change", exit_on_error=False)
    def suppress_address(self, email: str, message_id: str | None) -> None:
        from core import suppressions

        runtime = self.store_runtime
        assert runtime is not None
        text = suppressions.suppress_manually(
            runtime.store, email, by=runtime.operator, message_id=message_id
        )
        self.app.call_from_thread(self.notify, text, title="Suppression list")
        self.app.call_from_thread(self.suppression_changed)

    def ask_lift(self, email: str) -> None:
        self.look_up_for_lift(email)

    @work(thread=True, group="suppression-change", exit_on_error=False)
    def look_up_for_lift(self, email: str) -> None:
        from core import suppressions

        runtime = self.store_runtime
        assert runtime is not None
        entry = suppressions.get(runtime.store, email)
        self.app.call_from_thread(self.confirm_lift, email, entry)

    def confirm_lift(self, email: str, entry: Suppression | None) -> None:
        from core.vocabulary import SuppressionReason

        if entry is None:
            self.notify(f"{email} is not on the suppression list.", title="Nothing to lift")
            return
        facts: list[tuple[str, object]] = [
            ("Address", entry.email),
            ("Reason", entry.reason.value),
            ("Since", entry.at.astimezone().strftime("%Y-%m-%d %H:%M")),
            ("By", entry.by or "-"),
        ]
        if entry.diagnostic:
            facts.append(("Why", entry.diagnostic))
        ask = None
        if entry.reason == SuppressionReason.COMPLAINT:
            ask = Ask(
                "They marked our mail as spam. Why may they get mail again? (audited)",
                placeholder="e.g. the client asked by phone to receive invoices",
            )

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.lift_address(entry.email, answer.text or None)

        self.app.push_screen(
            ConfirmAction("Lift this suppression?", facts, LIFT_OUTCOME, yes="Lift", ask=ask),
            answered,
        )

    @work(thread=True, group="suppression-change", exit_on_error=False)
    def lift_address(self, email: str, note: str | None) -> None:
        from core import suppressions

        runtime = self.store_runtime
        assert runtime is not None
        text = suppressions.lift(runtime.store, email, by=runtime.operator, note=note)
        self.app.call_from_thread(self.notify, text, title="Suppression lifted")
        self.app.call_from_thread(self.suppression_changed)
