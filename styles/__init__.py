"""The console's Textual stylesheets (.tcss), shipped inside the wheel."""

from pathlib import Path

STYLES_DIR = Path(__file__).parent


def stylesheets() -> list[Path]:
    return sorted(STYLES_DIR.glob("*.tcss"))
