"""Open the TUI from the command line."""

from __future__ import annotations

from tui.cli.context import CommandContext


def run_app(ctx: CommandContext) -> int:
    """Run the console; its exit code (1 when it stopped on an unhandled error, which
    Textual prints as it exits)."""
    if ctx.settings.wants_sandbox:
        from core.sandbox import require_sandbox_extra

        require_sandbox_extra()  # one line and exit 2 on a lean install, before any screen
    from tui.app import DepllcApp

    app = DepllcApp(ctx.settings)
    result = app.run()
    if app.return_code:
        return app.return_code
    return int(result or 0)
