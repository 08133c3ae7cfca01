"""Key names as people read them (`?`, `F1`, `Enter`, `Ctrl+S`), for the help screen,
and what counts as a key a text field types."""

from __future__ import annotations

from textual.binding import Binding

NAMES = {
    "question_mark": "?",
    "slash": "/",
    "apostrophe": "'",
    "space": "Space",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "delete": "Del",
    "backspace": "Backspace",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "insert": "Ins",
}
MODIFIERS = {"ctrl": "Ctrl", "alt": "Alt", "shift": "Shift", "meta": "Meta", "super": "Super"}


def human_key(key: str) -> str:
    """`ctrl+s` -> `Ctrl+S`, `question_mark` -> `?`, `f1` -> `F1`, `R` -> `R`."""
    *mods, base = key.strip().split("+")
    if base in NAMES:
        name = NAMES[base]
    elif len(base) == 1:
        name = base.upper() if mods else base
    elif base[0] == "f" and base[1:].isdigit():
        name = base.upper()
    else:
        name = base.replace("_", " ").title()
    return "+".join([*(MODIFIERS.get(m, m.title()) for m in mods), name])


def binding_keys(binding: Binding) -> str:
    """Every key of a binding (`d, Del`)."""
    return ", ".join(human_key(k) for k in binding.key.split(",") if k.strip())


def types_in_a_field(key: str) -> bool:
    """A key a focused text field takes as text (a letter, a digit, `?`, `/`)."""
    if key in ("question_mark", "slash", "apostrophe", "space"):
        return True
    return len(key) == 1 and key.isprintable()
