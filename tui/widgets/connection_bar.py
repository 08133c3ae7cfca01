"""The header: app name, where the console is connected, and status slots, fitted to
the terminal's width."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui import outside_text

PART_SEPARATOR = " · "
COMPACT_TARGET = 32  # the compact target keeps its leading parts up to this many cells


@dataclass
class HeaderState:
    """What every screen's header shows; owned by the app. Texts are " · "-joined
    parts, most important first; `*_short` are the writers' own compact forms."""

    target: str = "connecting…"
    sandbox: bool = False
    status: str = ""
    warning: str = ""
    status_short: str = ""
    warning_short: str = ""


# How the header gives way as the terminal narrows, one step at a time: the target
# first (its detail matters least), then the events status, then the warning's
# thresholds; then what the SANDBOX badge already says, the status, the screen name.
# What stays longest: where the console is connected (or SANDBOX), then the warning.
Layout = tuple[str, str, str, bool]  # target, warning, status forms; title shown
STEPS: tuple[Layout, ...] = (
    ("full", "full", "full", True),
    ("compact", "full", "full", True),
    ("compact", "full", "compact", True),
    ("compact", "compact", "compact", True),
    ("gone", "compact", "compact", True),
    ("gone", "compact", "gone", True),
    ("gone", "compact", "gone", False),
)


def _leading_parts(text: str, width: int) -> str:
    """The leading " · " parts of `text` that fit in `width` (at least the first)."""
    parts = text.split(PART_SEPARATOR)
    kept = parts[0]
    for part in parts[1:]:
        longer = kept + PART_SEPARATOR + part
        if len(longer) > width:
            break
        kept = longer
    return kept


def _forms(state: HeaderState) -> dict[str, dict[str, str]]:
    """Each slot's text in its full, compact and gone forms (made visible: the target
    names the MongoDB host and the bucket, the status may quote an error)."""
    forms = _raw_forms(state)
    return {
        slot: {form: outside_text.visible(value) for form, value in texts.items()}
        for slot, texts in forms.items()
    }


def _raw_forms(state: HeaderState) -> dict[str, dict[str, str]]:
    target_compact = _leading_parts(state.target, COMPACT_TARGET)
    return {
        "target": {
            "full": state.target,
            "compact": target_compact,
            # the badge says "sandbox"; a real connection is always named
            "gone": "" if state.sandbox else target_compact,
        },
        "warning": {
            "full": state.warning,
            "compact": state.warning_short or state.warning,
            "gone": state.warning_short or state.warning,  # a warning is never hidden
        },
        "status": {
            "full": state.status,
            "compact": state.status_short or state.status.split(PART_SEPARATOR)[0],
            "gone": "",
        },
    }


def _line(state: HeaderState, title: str, target: str, warning: str, status: str) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(" depllc ", style="bold reverse")
    if title:
        text.append(f" {title} ", style="bold")
    if state.sandbox:
        text.append(" SANDBOX ", style="bold black on yellow")
    if target:
        text.append(f" {target} ", style="yellow" if state.sandbox else "dim")
    if warning:
        text.append(f" {warning} ", style="bold white on red")
    if status:
        text.append(f" {status}", style="cyan")
    return text


def header_line(state: HeaderState, title: str, width: int) -> Text:
    """The header for `width` cells: the fullest layout of STEPS that fits (the last
    one, cut with an ellipsis, when none does)."""
    forms = _forms(state)
    text = Text()
    for target, warning, status, with_title in STEPS:
        text = _line(
            state,
            title if with_title else "",
            forms["target"][target],
            forms["warning"][warning],
            forms["status"][status],
        )
        if text.cell_len <= width:
            break
    return text


class ConnectionBar(Widget):
    """One line: `depllc  screen  SANDBOX  target  warning  status`, shortened to fit
    (see STEPS): where the console is connected and the SES warning stay longest."""

    DEFAULT_CSS = """
    ConnectionBar { height: 1; dock: top; background: $panel; }
    """

    def __init__(self, state: HeaderState, title: str) -> None:
        super().__init__()
        self.state = state
        self.title = title

    def render(self) -> Text:
        return header_line(self.state, self.title, self.size.width)
