"""The `/` query line (Logs, Files, Suppressions): an Input for free text and
`key:value` tokens (core/query_line.py), completion of keys and values in a dropdown
(textual-autocomplete), and the screen's history on the up and down arrows (kept in
the state dir).

Enter applies the line and returns to the table (a line with an error stays, the
summary says why; a line that is only an address or `client:ID` also opens that
person's case, tui/screens/case.py); Esc returns to the table; Tab or Enter takes the highlighted
completion while the dropdown is open."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input
from textual_autocomplete import AutoComplete, DropdownItem, TargetState

from core.query_line import FREE_TEXT, Screen, complete, known_keys


class QueryLine(Input):
    HELP_TITLE = "Query line"
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding(
            "enter",
            "apply",
            "Apply",
            key_display="Enter",
            tooltip="Apply; a line that is only an address or client:ID opens that case "
            "(the list stays filtered by it: Esc comes back to it)",
            id="query.apply",
        ),
        Binding("escape", "leave", "To the table", key_display="Esc", id="query.leave"),
        Binding("tab", "complete", "Complete the key or value", show=False, id="query.complete"),
        Binding("up", "history(-1)", "Earlier query", key_display="↑", id="query.earlier"),
        Binding("down", "history(1)", "Later query", key_display="↓", id="query.later"),
    ]

    class Applied(Message):
        """Enter: apply the line (and leave it when it is valid)."""

        def __init__(self, line: QueryLine) -> None:
            super().__init__()
            self.line = line

    class Left(Message):
        """Esc: back to the table."""

        def __init__(self, line: QueryLine) -> None:
            super().__init__()
            self.line = line

    def __init__(self, screen_name: Screen, *, id: str) -> None:
        super().__init__(
            placeholder=f"/ {FREE_TEXT[screen_name]}, or {known_keys(screen_name)}",
            id=id,
            compact=True,
            select_on_focus=False,
        )
        self.screen_name: Screen = screen_name
        self.history: list[str] = []
        self._recall = 0  # 0: the line being typed; n: the n-th line from the end
        self._draft = ""

    def on_mount(self) -> None:
        from core import query_history

        self.history = query_history.load(self.screen_name)

    def set_text(self, text: str) -> None:
        """Replace the line (the cursor goes to its end, no completion opens)."""
        self.value = text
        self.cursor_position = len(text)

    def remember(self) -> None:
        """Keep the current line in the history (the next up arrow recalls it)."""
        from core import query_history
        from core.errors import ConfigError

        self._recall = 0
        if not self.value.strip():
            return
        try:
            self.history = query_history.remember(self.screen_name, self.value)
        except ConfigError as exc:
            self.history = [h for h in self.history if h != self.value.strip()]
            self.history.append(self.value.strip())
            self.notify(str(exc), severity="warning")

    def action_apply(self) -> None:
        self.post_message(self.Applied(self))

    def action_leave(self) -> None:
        self.post_message(self.Left(self))

    def action_complete(self) -> None:
        """Tab with no dropdown shown (typed too fast for it to open): the word under
        the cursor becomes its first candidate; with none, Tab moves on as usual."""
        found = complete(self.value, self.screen_name, self.cursor_position)
        if not found.candidates:
            self.screen.focus_next()
            return
        word = found.candidates[0]
        head = self.value[: found.start] + word + ("" if word.endswith(":") else " ")
        self.value = head + self.value[found.end :].lstrip()
        self.cursor_position = len(head)

    def action_history(self, step: int) -> None:
        """Up: an older line; down: a newer one, then the line that was being typed."""
        if not self.history:
            return
        if self._recall == 0:
            self._draft = self.value
        self._recall = max(0, min(len(self.history), self._recall - step))
        self.set_text(self._draft if self._recall == 0 else self.history[-self._recall])


class QueryCompletion(AutoComplete):
    """The dropdown under a QueryLine: the keys that start the word under the cursor,
    or the values of its `key:`. Taking a `key:` keeps the dropdown open on its values."""

    def __init__(self, target: QueryLine) -> None:
        super().__init__(target, candidates=None)
        self.line = target

    def _completion(self, state: TargetState) -> tuple[int, int, tuple[str, ...]]:
        found = complete(state.text, self.line.screen_name, state.cursor_position)
        return found.start, found.end, found.candidates

    def get_candidates(self, target_state: TargetState) -> list[DropdownItem]:
        return [DropdownItem(candidate) for candidate in self._completion(target_state)[2]]

    def get_search_string(self, target_state: TargetState) -> str:
        start, end, _ = self._completion(target_state)
        return target_state.text[start:end]

    def get_matches(
        self, target_state: TargetState, candidates: list[DropdownItem], search_string: str
    ) -> list[DropdownItem]:
        return candidates  # already the words that start with what was typed

    def apply_completion(self, value: str, state: TargetState) -> None:
        start, end, _ = self._completion(state)
        text = state.text[:start] + value + ("" if value.endswith(":") else " ")
        rest = state.text[end:]
        self.line.value = text + rest.lstrip() if rest else text
        self.line.cursor_position = len(text)
        new_state = self._get_target_state()
        self._rebuild_options(new_state, self.get_search_string(new_state))

    def post_completion(self) -> None:
        if not self.line.value[: self.line.cursor_position].endswith(":"):
            self.action_hide()
        # the completed line applies as typed text does
        self.line.post_message(Input.Changed(self.line, self.line.value))
