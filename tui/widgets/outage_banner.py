"""The outage banner under the header (tui/outage_watch.py fills it); hidden while
everything answers."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class OutageBanner(Static):
    DEFAULT_CSS = """
    OutageBanner {
        display: none;
        height: auto;
        max-height: 4;
        background: $error 40%;
        color: $text;
    }
    OutageBanner.-down { display: block; }
    """

    def on_mount(self) -> None:
        from tui.app import DepllcApp

        if isinstance(self.app, DepllcApp):
            self.show(self.app.outage.banner())

    def show(self, text: Text | None) -> None:
        self.set_class(text is not None, "-down")
        self.update(text or "")
