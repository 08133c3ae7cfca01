"""Saved searches in the config dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ConfigError, InputError, NotFoundError
from core.logs import saved
from core.logs.query import FilterSet
from core.paths import config_dir


def test_save_recall_list_delete() -> None:
    bounced = FilterSet(status="bounced", dates="7d")
    saved.save("Bounces this week", bounced)
    saved.save("Acme", FilterSet(search="acme.test", category="client-portal"))
    assert list(saved.load_all()) == ["Bounces this week", "Acme"]
    assert saved.get("Bounces this week") == bounced
    assert saved.store_path().parent == config_dir()
    raw = json.loads(saved.store_path().read_text())
    assert raw["Bounces this week"] == {"status": "bounced", "dates": "7d"}
    saved.save("Acme", FilterSet(search="acme"))  # replace
    assert saved.get("Acme").search == "acme"
    saved.delete("Acme")
    assert list(saved.load_all()) == ["Bounces this week"]


def test_bad_names_and_filters() -> None:
    for name in ("", "  ", "x" * 61, "tab\there"):
        with pytest.raises(InputError):
            saved.save(name, FilterSet())
    with pytest.raises(InputError, match="Unknown status"):
        saved.save("bad", FilterSet(status="lost"))
    assert not saved.store_path().exists()


def test_unknown_name() -> None:
    saved.save("one", FilterSet())
    with pytest.raises(NotFoundError, match="Saved: one"):
        saved.get("two")
    with pytest.raises(NotFoundError):
        saved.delete("two")


def test_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    file = tmp_path / "s.json"
    file.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot be read"):
        saved.load_all(file)
    file.write_text('{"x": {"colour": "red"}}')
    with pytest.raises(ConfigError):
        saved.load_all(file)
