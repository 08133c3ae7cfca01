"""Open the TUI from the command line."""

from __future__ import annotations

from tui.cli.context import CommandContext


def run_app(ctx: CommandContext) -> int:
    from tui.app import DepllcApp

    app = DepllcApp(ctx.settings)
    result = app.run()
    return int(result or 0)
