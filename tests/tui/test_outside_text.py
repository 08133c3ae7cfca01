"""The one module that turns outside text into what the terminal shows."""

from __future__ import annotations

import pytest
from rich.console import Console

from tui import outside_text

HOSTILE = {
    "osc52": "hi\x1b]52;c;ZXZpbA==\x07there",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "clear": "\x1b[2Jgone",
    "c1_csi": "a\x9b2Jb",
    "nel": "a\x85b",
    "rlo": "Invoice_2026_\u202efdp.bat",
    "nul": "a\x00b",
    "vt_ff": "a\x0b\x0cb",
    "lsep": "a\u2028b",
    "surrogate": "bad\udc80addr@example.com",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_nothing_that_steers_a_terminal_survives(name: str) -> None:
    shown = outside_text.visible(HOSTILE[name])
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(0x202A <= ord(c) <= 0x202E or 0xD800 <= ord(c) <= 0xDFFF for c in shown)
    assert "\u2028" not in shown
    shown.encode("utf-8")  # writable


def test_stand_ins_are_readable() -> None:
    assert outside_text.visible("\x1b[2J") == "␛[2J"
    assert outside_text.visible("x\u202ey") == "x<U+202E>y"
    assert outside_text.visible("a\nb\tc") == "a⏎b c"
    assert outside_text.visible("a\r\nb\tc", multiline=True) == "a\nb\tc"
    assert outside_text.visible(None) == ""


def test_markup_stays_text() -> None:
    console = Console(width=80, record=True, color_system=None)
    for subject in (
        "Re: [/docs] contract update",
        "[urgent] Q3 [draft] report",
        "[link=https://x]y",
    ):
        console.print(outside_text.text(subject))
    out = console.export_text()
    assert "Re: [/docs] contract update" in out
    assert "[urgent] Q3 [draft] report" in out
    assert "[link=https://x]y" in out


def test_clip_marks_what_it_cut() -> None:
    assert outside_text.line("a" * 40, 10) == "a" * 9 + "…"
    assert outside_text.line("short", 10) == "short"
    assert outside_text.text("x" * 50, width=20).plain == "x" * 19 + "…"


def test_json_keeps_the_data_but_escapes_what_json_leaves_raw() -> None:
    import json

    value = {"subject": "a\x9bb\u202ec\u2028d\x7fe\x1bf\udc80g", "n": ["\u2066x"]}
    document = outside_text.json_escaped(json.dumps(value, indent=2, ensure_ascii=False))
    assert not any(
        0x7F <= ord(c) <= 0x9F or 0x2028 <= ord(c) <= 0x206F or 0xD800 <= ord(c) <= 0xDFFF
        for c in document
    )
    document.encode("utf-8")  # writable, even the lone surrogate
    assert json.loads(document) == value  # the same data
    assert "\n" in document  # the layout stays


def test_markup_for_the_palette_is_escaped() -> None:
    from textual.content import Content

    for subject in ("Re: [/docs] contract update", "[link=https://x]y[/link]", "a\x1bb"):
        shown = Content.from_markup(outside_text.markup(subject)).plain
        assert shown == outside_text.visible(subject)


def test_wrapping_text_never_loses_characters() -> None:
    console = Console(width=20, record=True, color_system=None)
    console.print(outside_text.text("k" * 50, no_wrap=False))
    assert console.export_text().replace("\n", "") == "k" * 50
