"""`r` on Logs and Log detail: the resend dialog (same, other or extra recipients),
then the one confirmation naming what goes where, then the send (the new log links to
the original, the original lists its resends)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

if TYPE_CHECKING:
    from core.mail.send import Prepared, SendResult
    from core.runtime import Runtime


class ResendAction(Screen[None]):
    """Mixed into a screen: `ask_resend(log_id)`; `resent` runs after the send."""

    @property
    def resend_runtime(self) -> Runtime | None:
        from tui.app import DepllcApp

        app = self.app
        return app.runtime if isinstance(app, DepllcApp) else None

    def resent(self, result: SendResult) -> None:
        """Override: show the new log."""

    def ask_resend(self, log_id: str) -> None:
        from tui.modals.resend import ResendDialog

        runtime = self.resend_runtime
        if runtime is None:
            self.notify("Not connected yet.", severity="warning")
            return

        def checked(prepared: Prepared | None) -> None:
            if prepared is not None:
                self.confirm_resend(prepared)

        self.app.push_screen(ResendDialog(runtime, log_id), checked)

    def confirm_resend(self, prepared: Prepared) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed, send_facts

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.deliver_resend(prepared)

        self.app.push_screen(
            ConfirmAction(
                "Resend this message?",
                send_facts(prepared),
                "It goes out again through SES as a new log linked to the original.",
                yes="Resend",
            ),
            answered,
        )

    @work(thread=True, group="resend", exit_on_error=False)
    def deliver_resend(self, prepared: Prepared) -> None:
        from core.mail.resend import deliver_resend
        from core.mail.send import abandon_delivery
        from tui.app import DepllcApp
        from tui.interrupts import send_said

        runtime = self.resend_runtime
        assert runtime is not None and isinstance(self.app, DepllcApp)
        # a signal stops it as on the command line (tui/interrupts.py, DepllcApp.interrupt)
        with self.app.running.work(lambda: abandon_delivery(runtime, prepared)) as work:
            result = deliver_resend(runtime, prepared, cancel=work.cancel)
            work.said += send_said(result)
        self.app.call_from_thread(self._resent, result)

    def _resent(self, result: SendResult) -> None:
        if result.ok:
            self.notify(f"New log {', '.join(result.log_ids)}", title="Resent")
        else:
            problems = "; ".join(o.error or o.status for o in result.outcomes if o.status != "sent")
            self.notify(problems, title="Not resent", severity="error", timeout=20)
        self.resent(result)
