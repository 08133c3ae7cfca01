"""Outage mode: while MongoDB or AWS does not answer, a banner on every screen says
so, what still works, and when the console looks again; screens say why they are
empty instead of `Loading…`; when the side answers, every screen reloads by itself.

The app owns one OutageWatch. An error reaches it through the app's one error
reporter (`DepllcApp.report_error`): an unreachable side is reported once, as the
banner, not as a toast per failed query."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text

from core.outage import STILL_WORKS, Outage, Side, look

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.app import DepllcApp

RETRY_KEY = "F5"


class OutageWatch:
    """The sides that are down, a one-second countdown to the next look at each, and
    the looks (in thread workers)."""

    def __init__(self, app: DepllcApp) -> None:
        self.app = app
        self.outages: dict[Side, Outage] = {}
        self.countdown: dict[Side, int] = {}
        self._looking: set[Side] = set()
        self._timer: Timer | None = None

    def down(self, side: Side) -> bool:
        return side in self.outages

    def report(self, side: Side) -> bool:
        """Note that `side` did not answer; True when it was up until now."""
        if side in self.outages:
            return False
        outage = Outage(side=side)
        self.outages[side] = outage
        self.countdown[side] = outage.next_delay()
        if self._timer is None:
            self._timer = self.app.set_interval(1.0, self._tick)
        self._changed()
        return True

    def retry_now(self) -> None:
        for side in list(self.outages):
            self._look(side)

    def _tick(self) -> None:
        for side in list(self.outages):
            if side in self._looking:
                continue
            self.countdown[side] -= 1
            if self.countdown[side] <= 0:
                self._look(side)
        self._changed()

    def _look(self, side: Side) -> None:
        runtime = self.app.runtime
        if runtime is None or side in self._looking:
            return
        self._looking.add(side)
        self._changed()

        def run() -> None:
            try:
                look(runtime, side)
            except Exception:
                self.app.call_from_thread(self._still_down, side)
            else:
                self.app.call_from_thread(self._back, side)

        self.app.run_worker(partial(run), thread=True, group=f"outage-{side}", exit_on_error=False)

    def _still_down(self, side: Side) -> None:
        self._looking.discard(side)
        outage = self.outages.get(side)
        if outage is None:
            return
        outage.failed_looks += 1
        self.countdown[side] = outage.next_delay()
        self._changed()

    def _back(self, side: Side) -> None:
        self._looking.discard(side)
        if self.outages.pop(side, None) is None:
            return
        self.countdown.pop(side, None)
        if not self.outages and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._changed()
        self.app.notify(f"{side} answers again: the screens reload.", title="Back")
        for screen in self.app.service_screens():
            screen.refresh_data()

    def _changed(self) -> None:
        from tui.widgets.outage_banner import OutageBanner

        for screen in self.app.service_screens():
            for banner in screen.query(OutageBanner):
                banner.show(self.banner())

    def banner(self) -> Text | None:
        """What the banner says (None: nothing is down)."""
        if not self.outages:
            return None
        text = Text()
        for n, (side, outage) in enumerate(self.outages.items()):
            if n:
                text.append("\n")
            since = outage.since.astimezone().strftime("%H:%M")
            when = (
                "looking now…"
                if side in self._looking
                else f"next look in {self.countdown.get(side, 0)} s"
            )
            text.append(f" {side} unreachable since {since} ", style="bold")
            text.append(f"· {when} · {RETRY_KEY} now · ^p Doctor\n")
            text.append(f" Still working: {STILL_WORKS[side]}.")
        return text

    def summary(self, side: Side) -> str:
        """What an empty screen says instead of `Loading…`."""
        return f"Not loaded: {side} is unreachable. This screen reloads when it answers."
