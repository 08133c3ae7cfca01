"""`core` never imports Textual: every module under core/ is imported in a fresh
interpreter, which then must not have loaded `textual` (nor the `tui` front end)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import core

CORE_DIR = Path(core.__file__).parent


def core_modules() -> list[str]:
    names = ["core"]
    for info in pkgutil.walk_packages([str(CORE_DIR)], prefix="core."):
        names.append(info.name)
    return sorted(names)


def test_every_core_module_is_found() -> None:
    modules = core_modules()
    on_disk = {
        ".".join(p.relative_to(CORE_DIR.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in CORE_DIR.rglob("*.py")
    }
    assert on_disk <= set(modules)
    assert {"core.config", "core.models", "core.sandbox", "core.sandbox_seed"} <= set(modules)


def test_core_never_imports_textual() -> None:
    modules = core_modules()
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui'))\n"
        "assert not bad, bad\n"
        "print(len(" + repr(modules) + "))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        cwd=CORE_DIR.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(len(modules))
