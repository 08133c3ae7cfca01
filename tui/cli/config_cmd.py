"""`depllc config show`: the effective settings and where each came from."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.context import CommandContext

if TYPE_CHECKING:
    from core.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="show the effective settings")
    inner = parser.add_subparsers(dest="config_command", metavar="{show,path}")
    show = inner.add_parser("show", help="print the effective settings with their sources")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=show_settings)
    path = inner.add_parser("path", help="print the config file's path")
    path.add_argument("--json", action="store_true", help="machine-readable output")
    path.set_defaults(func=show_path)
    parser.add_argument(
        "--json", action="store_true", help="machine-readable output (of the default: show)"
    )
    parser.set_defaults(func=show_settings)


def show_settings(ctx: CommandContext) -> int:
    from core.config import Settings, mask

    settings = ctx.settings
    rows = [
        (name, mask(name, getattr(settings, name)), ctx.origin[name])
        for name in Settings.model_fields
    ]
    notes = setting_notes(settings)
    if ctx.args.json:
        shown = {name: {"value": value, "source": src} for name, value, src in rows}
        ctx.print_json({**shown, "database": settings.database, "notes": notes})
        return 0
    width = max(len(r[0]) for r in rows)
    vwidth = min(60, max(len(r[1]) for r in rows))
    for name, value, src in rows:
        print(f"{name.upper():<{width}}  {value:<{vwidth}}  {src}")
    mode = "sandbox (embedded moto + in-process store)" if settings.wants_sandbox else "connected"
    print(f"\nmode: {mode}; AWS credentials come from boto3's chain (profile, SSO, env, role).")
    if not settings.wants_sandbox:
        print(f"database: {settings.database}")
    for note in notes:
        print(f"note: {note}")
    return 0


def setting_notes(settings: Settings) -> list[str]:
    """What a person should know about these settings together."""
    notes = []
    conflict = settings.database_conflict()
    if conflict and not settings.wants_sandbox:
        notes.append(conflict + ".")
    if not settings.wants_sandbox:
        given = settings.identity_overrides
        if given:
            notes.append(
                f"{' and '.join(given)}: only the sandbox honours them; connected commands "
                "refuse to start while they are set (`depllc operators whoami`)."
            )
    return notes


def show_path(ctx: CommandContext) -> int:
    from core.paths import default_config_file

    path = ctx.args.config or default_config_file()
    if ctx.args.json:
        from pathlib import Path

        ctx.print_json({"path": str(path), "exists": Path(path).is_file()})
        return 0
    print(path)
    return 0
