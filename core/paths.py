"""Where the console keeps its files: the config folder (settings TOML, .env files,
saved searches) and the state folder (journal, query history, the lasting sandbox).
No pydantic: the first screen reads its query history from here before the settings
load."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "depllc"


def config_dir() -> Path:
    from platformdirs import user_config_path

    return Path(os.environ.get("DEPLLC_CONFIG_DIR") or user_config_path(APP_NAME))


def state_dir() -> Path:
    from platformdirs import user_state_path

    return Path(os.environ.get("DEPLLC_STATE_DIR") or user_state_path(APP_NAME))


def default_config_file() -> Path:
    return config_dir() / "config.toml"
