"""The transfers panel: one progress bar per file (bytes, rate, ETA) and the total.
Updates arrive as messages from transfer threads, throttled at the source."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import humanize
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Label, ProgressBar, Static

from tui import outside_text


class TransferUpdate(Message):
    """Progress of one transfer (posted from a worker thread)."""

    def __init__(self, tid: str, done: int, total: int) -> None:
        super().__init__()
        self.tid = tid
        self.done = done
        self.total = total


class TransferFinished(Message):
    def __init__(self, tid: str, ok: bool, text: str) -> None:
        super().__init__()
        self.tid = tid
        self.ok = ok
        self.text = text


@dataclass
class _Row:
    name: str
    total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    state: str = "running"  # running, done, failed
    text: str = ""
    samples: list[tuple[float, int]] = field(default_factory=list)

    def rate(self) -> float:
        now = time.monotonic()
        self.samples = [(t, d) for t, d in self.samples if now - t <= 3.0]
        if len(self.samples) >= 2:
            (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
            if t1 > t0:
                return max(0.0, (d1 - d0) / (t1 - t0))
        elapsed = now - self.started
        return self.done / elapsed if elapsed > 0 else 0.0


def describe_progress(done: int, total: int, rate: float) -> str:
    size = humanize.naturalsize
    text = f"{size(done, binary=True)} / {size(total, binary=True)}"
    if rate > 0:
        text += f"  {size(rate, binary=True)}/s"
        if total > done:
            eta = int((total - done) / rate)
            text += f"  ETA {eta // 60}:{eta % 60:02d}"
    return text


class TransferPanel(VerticalScroll):
    """Hidden while idle; shows each transfer and the overall progress."""

    DEFAULT_CSS = """
    TransferPanel {
        height: auto;
        max-height: 12;
        border-top: solid $accent;
        padding: 0 1;
        display: none;
    }
    TransferPanel.-active {
        display: block;
    }
    TransferPanel .transfer-row {
        height: 1;
    }
    TransferPanel .transfer-name {
        width: 32;
    }
    TransferPanel ProgressBar {
        width: 48;
    }
    TransferPanel .transfer-stats {
        width: 1fr;
    }
    TransferPanel .transfer-row.-finished, TransferPanel .-finished .transfer-stats {
        height: auto;  /* a finished file's message wraps instead of being cut */
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: dict[str, _Row] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="transfer-row", id="transfer-overall"):
            yield Label("total", classes="transfer-name")
            yield ProgressBar(show_eta=False, id="transfer-overall-bar")
            yield Static("", classes="transfer-stats", id="transfer-overall-stats")

    def add(self, tid: str, name: str, total: int) -> None:
        self.rows[tid] = _Row(name=name, total=max(total, 1))
        row = Horizontal(
            Label(outside_text.text(name, width=30), classes="transfer-name"),
            ProgressBar(total=max(total, 1), show_eta=False, id=f"bar-{tid}"),
            Static("waiting", classes="transfer-stats", id=f"stats-{tid}"),
            classes="transfer-row",
            id=f"row-{tid}",
        )
        self.mount(row)
        self.add_class("-active")
        self._overall()

    def update(self, tid: str, done: int, total: int) -> None:
        row = self.rows.get(tid)
        if row is None or row.state != "running":
            return
        row.done, row.total = done, max(total, 1)
        row.samples.append((time.monotonic(), done))
        self.query_one(f"#bar-{tid}", ProgressBar).update(total=row.total, progress=done)
        self.query_one(f"#stats-{tid}", Static).update(
            describe_progress(done, row.total, row.rate())
        )
        self._overall()

    def finish(self, tid: str, ok: bool, text: str) -> None:
        row = self.rows.get(tid)
        if row is None:
            return
        row.state = "done" if ok else "failed"
        row.text = text
        if ok:
            row.done = row.total
            self.query_one(f"#bar-{tid}", ProgressBar).update(progress=row.total)
        style = "green" if ok else "red"
        stats = self.query_one(f"#stats-{tid}", Static)
        stats.update(outside_text.text(text, style=style, no_wrap=False))  # wraps when long
        stats.tooltip = outside_text.text(text, no_wrap=False)
        self.query_one(f"#row-{tid}").add_class("-finished")
        self._overall()

    def clear_finished(self) -> None:
        for tid in [t for t, r in self.rows.items() if r.state != "running"]:
            del self.rows[tid]
            for widget in self.query(f"#row-{tid}"):
                widget.remove()
        if not self.rows:
            self.remove_class("-active")

    @property
    def running(self) -> int:
        return sum(1 for r in self.rows.values() if r.state == "running")

    def _overall(self) -> None:
        # a refused, failed or cancelled file leaves the total: the bar says how far
        # the rest has gone, and the failure is counted beside it
        live = [r for r in self.rows.values() if r.state != "failed"]
        total = sum(r.total for r in live)
        done = sum(r.done for r in live)
        rate = sum(r.rate() for r in live if r.state == "running")
        self.query_one("#transfer-overall-bar", ProgressBar).update(
            total=max(total, 1), progress=done
        )
        failed = len(self.rows) - len(live)
        stats = describe_progress(done, total, rate)
        if failed:
            stats += f"  ({failed} failed)"
        if not self.running:
            stats += "  · finished (c clears)"
        self.query_one("#transfer-overall-stats", Static).update(stats)
