"""`depllc sandbox up`: one sandbox that separate processes share, one at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import sandbox_lasting
from core.config import Settings

# one worker runs this module (its module-scoped fixtures are built once: make test
# distributes the other tests one by one, --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lasting-sandbox")]

DEPLLC = Path(sys.executable).with_name("depllc")


def _depllc(
    *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([DEPLLC, *args], capture_output=True, text=True, env=env, timeout=180)
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def lasting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One lasting sandbox for the module, in its own state folder; stopped at the end."""
    home = tmp_path_factory.mktemp("lasting")
    env = {
        **os.environ,
        "DEPLLC_STATE_DIR": str(home / "state"),
        "DEPLLC_CONFIG_DIR": str(home / "config"),
    }
    for name in ("MONGODB_URI", "AWS_S3_BUCKET", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    up = _depllc("sandbox", "up", "--json", env=env)
    assert json.loads(up.stdout)["started"] is True
    try:
        yield env
    finally:
        _depllc("sandbox", "down", env=env, check=False)


def test_a_send_is_seen_by_the_next_command(lasting: dict[str, str], tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("hello from the first process")
    _depllc(
        "--sandbox", "send", "--to", "success@simulator.amazonses.com",
        "--subject", "Lasting sandbox check", "--text", str(body), env=lasting,
    )  # fmt: skip
    listed = _depllc("--sandbox", "logs", "--json", "--search", "Lasting sandbox", env=lasting)
    (log,) = json.loads(listed.stdout)["items"]
    assert log["to"] == ["success@simulator.amazonses.com"]
    assert log["status"] in {"sent", "delivered"}


def test_up_again_finds_the_running_one(lasting: dict[str, str]) -> None:
    again = _depllc("sandbox", "up", "--json", env=lasting)
    assert json.loads(again.stdout)["started"] is False
    state = json.loads(_depllc("sandbox", "status", "--json", env=lasting).stdout)
    assert state["up"] is True
    assert "emaillogs" in state["store_files"]


def test_a_second_writer_is_refused_while_one_holds_it(
    lasting: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLLC_STATE_DIR", lasting["DEPLLC_STATE_DIR"])
    info = sandbox_lasting.find_lasting()
    assert info is not None
    held = sandbox_lasting.attach(Settings.model_validate({"sandbox": True}), info)
    try:
        held.store.emaillogs.update_many({}, {"$set": {"customData.heldBy": "test"}})
        refused = _depllc("--sandbox", "logs", "-n", "1", env=lasting, check=False)
        assert refused.returncode == 2
        assert "in use by depllc pid" in refused.stderr
    finally:
        held.stop()  # saves the store and releases the lock
    # Nothing the holder wrote is lost: the next process reads it.
    listed = _depllc("--sandbox", "logs", "--json", "-n", "1", env=lasting)
    assert json.loads(listed.stdout)["items"][0]["customData"]["heldBy"] == "test"


def test_store_round_trips_through_disk(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bson import ObjectId

    from core.db import connect

    source = connect("mongomock://round-trip-a", "depllc")
    doc = {"_id": ObjectId(), "subject": "x", "createdAt": datetime(2026, 1, 2, tzinfo=UTC)}
    source.emaillogs.insert_one(doc)
    assert sandbox_lasting.save_store(source, tmp_path) == 1
    target = connect("mongomock://round-trip-b", "depllc")
    assert sandbox_lasting.load_store(target, tmp_path) == 1
    assert target.emaillogs.find_one({"_id": doc["_id"]}) == doc
