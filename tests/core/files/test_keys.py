"""Key layout and safe local names: no key or original name escapes the folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import InputError
from core.files.keys import confined, keep_both_name, local_name, make_key, parse_key


def test_key_follows_the_guides_layout() -> None:
    key = make_key("invoice", "alice", "Facture été 2024.pdf", now_ms=1700000000000)
    assert re.fullmatch(r"invoice/alice/1700000000000-[0-9a-f]{16}-Facture__t__2024\.pdf", key)
    assert parse_key(key) == ("invoice", "alice", "Facture__t__2024.pdf")


def test_user_id_cannot_add_path_segments() -> None:
    key = make_key("general", "../../admin", "a.pdf")
    assert key.count("/") == 2
    assert "/../" not in key and not key.split("/")[1].startswith(".")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Windows\\evil.pdf", "evil.pdf"),
        ("..", "file"),
        ("", "file"),
        ("./.bashrc", "bashrc"),
        ("bad\x00\x1bname.pdf", "bad__name.pdf"),
        ('what?"*.pdf', "what___.pdf"),
    ],
)
def test_local_name_is_a_plain_name(name: str, expected: str) -> None:
    assert local_name(name) == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = "é" * 300 + ".pdf"
    safe = local_name(name)
    assert safe.endswith(".pdf") and len(safe.encode()) <= 255


def test_confined_refuses_escapes(tmp_path: Path) -> None:
    assert confined(tmp_path, "a.pdf") == tmp_path.resolve() / "a.pdf"
    with pytest.raises(InputError, match="outside"):
        confined(tmp_path, "../a.pdf")


def test_keep_both_picks_a_free_name(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"1")
    (tmp_path / "a (1).pdf").write_bytes(b"2")
    assert keep_both_name(tmp_path, "a.pdf").name == "a (2).pdf"
    assert keep_both_name(tmp_path, "README").name == "README (1)"


def test_adaptive_part_size() -> None:
    from core.files.transfer import MiB, TransferTuning

    tuning = TransferTuning(concurrency=6)
    assert tuning.part_size_for(1024 * MiB) == 64 * MiB  # capped
    assert tuning.part_size_for(100 * MiB) == 9 * MiB  # ~2 parts per thread
    assert tuning.part_size_for(20 * MiB) == 8 * MiB  # floor
    assert TransferTuning(adaptive=False, part_size=5 * MiB).part_size_for(1024 * MiB) == 5 * MiB
