"""The one way out to the terminal for text that came from outside.

Subjects, names, addresses, file names and contents, bounce diagnostics, SQS bodies: none
of it is ever markup or an escape sequence. The TUI shows it as Rich ``Text`` built here
(never ``Text.from_markup``, never a plain ``str`` in a DataTable cell, which Textual parses
as markup); the command line prints the ``str`` made here. Control characters (C0, DEL,
C1), bidi controls, line and paragraph separators and lone surrogates become visible
stand-ins, so ``ESC ] 52`` cannot reach the operator's clipboard and ``U+202E`` cannot turn
``fdp.bat`` round. ``--json`` output keeps the data as it is: ``json_escaped`` writes
what JSON (with ``ensure_ascii=False``) would leave raw as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # imported when first used: the command line's start stays light
    from rich.text import Text

ELLIPSIS = "…"

# DEL and C1 controls, the Arabic letter mark, zero-width space, LRM/RLM, line and
# paragraph separators, bidi embeddings/overrides/isolates, the BOM and lone surrogates:
# what JSON leaves raw inside its strings (it escapes C0 controls itself).
_RAW_IN_JSON = (
    "\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
)
_JSON_RAW = re.compile(f"[{_RAW_IN_JSON}]")
# With the C0 controls, tab and newline: the characters that steer a terminal, reorder
# a line or cannot be written at all.
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{_RAW_IN_JSON}\t\n]")


def _stand_in(char: str, multiline: bool) -> str:
    code = ord(char)
    if char in "\t\n":
        if multiline:
            return char
        return " " if char == "\t" else "⏎"
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode's control pictures: ␛ ␇ ␀ ...
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


def visible(value: object, *, multiline: bool = False) -> str:
    """``value`` as text that is safe to write to a terminal, every unsafe character shown.

    One line by default (newline shown as ⏎, tab as a space); ``multiline`` keeps newlines
    and tabs, for a body or a file's contents. ``None`` is the empty string.
    """
    if value is None:
        return ""
    raw = value if isinstance(value, str) else str(value)
    if multiline:
        raw = raw.replace("\r\n", "\n")
    return _UNSAFE.sub(lambda m: _stand_in(m.group(), multiline), raw)


def _json_escape(char: str) -> str:
    return f"\\u{ord(char):04x}"


def json_escaped(document: str) -> str:
    """A JSON document with every unsafe character written as a ``\\uXXXX`` escape.

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but leaves DEL, C1
    controls, bidi controls, separators and lone surrogates raw (a lone surrogate cannot
    even be written as UTF-8). These characters only occur inside JSON strings, where an
    escape means the same character: the data a reader parses is unchanged.
    """
    return _JSON_RAW.sub(lambda m: _json_escape(m.group()), document)


def markup(value: object) -> str:
    """Outside text for the few Textual APIs that read every string as content markup
    (the command palette's help line): visible, one line, square brackets escaped."""
    from textual.markup import escape

    return escape(visible(value))


def clip(value: str, width: int | None) -> str:
    """Cut ``value`` to ``width`` characters, the last one an ellipsis when it was cut."""
    if width is None or len(value) <= width:
        return value
    return value[: max(width - 1, 0)] + ELLIPSIS


def line(value: object, width: int | None = None) -> str:
    """One line of outside text for the command line: visible, cut with an ellipsis."""
    return clip(visible(value), width)


def text(
    value: object,
    *,
    style: str = "",
    width: int | None = None,
    multiline: bool = False,
    no_wrap: bool | None = None,
) -> Text:
    """Outside text as a Rich ``Text`` (never markup), for any widget or table cell.

    One line that is cut with an ellipsis by default; ``no_wrap=False`` wraps it (a word
    longer than the width is folded, nothing is lost); ``multiline`` keeps its lines.
    """
    from rich.text import Text

    shown = visible(value, multiline=multiline)
    wrap = multiline if no_wrap is None else not no_wrap
    return Text(
        clip(shown, width),
        style=style,
        no_wrap=not wrap,
        overflow="fold" if wrap else "ellipsis",
        end="",
    )


def write(value: object, *, stream: TextIO | None = None, multiline: bool = True) -> None:
    """Print outside text (a body, a file's contents) on the command line, made visible."""
    out = stream or sys.stdout
    out.write(visible(value, multiline=multiline) + "\n")
