"""Entry point of `depllc`. Imports stay light here: `--help` must be fast, so each
command imports boto3, pymongo or Textual only when it runs."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core import __version__

# One module per command group; each has register(subparsers) and sets `func`.
COMMAND_MODULES = [
    "tui.cli.setup_cmd",
    "tui.cli.config_cmd",
    "tui.cli.send_cmd",
    "tui.cli.events_cmd",
    "tui.cli.logs_cmd",
    "tui.cli.files_cmd",
    "tui.cli.audit_cmd",
    "tui.cli.case_cmd",
    "tui.cli.sandbox_cmd",
    "tui.cli.completion",
    "tui.cli.operators_cmd",
]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"depllc: {message} (see `depllc --help`)\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="depllc",
        description="Keyboard-driven console for the DepLLC CRM's email (SES) and files (S3). "
        "With no command it opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"depllc {__version__}")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use a fresh, seeded local sandbox (moto + in-process store); nothing leaves "
        "this machine",
    )
    parser.add_argument("--profile", help="AWS profile (else AWS_PROFILE / boto3's chain)")
    parser.add_argument("--region", help="AWS region (else AWS_REGION)")
    parser.add_argument("--config", metavar="FILE", help="settings TOML file to use")
    parser.add_argument(
        "--env-file",
        metavar="FILE",
        help="a .env file to read (else .env.local and .env in the config folder only)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 128 + the
    signal); run as the program (no `argv`), an interrupted command then ends the
    process at once rather than wait for threads still blocked in a network call."""
    from tui.cli.context import CommandContext
    from tui.interrupts import exit_code, leave_now, raising_signals

    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:2] == ["__complete", "--"]:  # a shell's Tab (see tui/cli/completion.py)
        from tui.cli.completion import complete

        sys.stdout.write("".join(f"{c}\n" for c in complete(parser, words[2:])))
        return 0
    undecodable = next((w for w in words if not _is_text(w)), None)
    if undecodable is not None:
        shown = undecodable.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        sys.stderr.write(
            f"depllc: {shown!r} is not UTF-8 text (bytes in another encoding); retype it, "
            "or rename the file, in UTF-8.\n"
        )
        return 2
    args = parser.parse_args(words)
    ctx = CommandContext(args)
    interrupted: int | None = None
    try:
        func = getattr(args, "func", None)
        if func is None:
            from tui.launch import run_app

            return run_app(ctx)
        with raising_signals():
            return int(func(ctx) or 0)
    except KeyboardInterrupt as exc:
        ctx.clear_status()
        interrupted = exit_code(exc)
        name = str(exc) if str(exc).startswith("SIG") and str(exc) != "SIGINT" else ""
        sys.stderr.write(f"depllc: stopped by {name}\n" if name else "depllc: cancelled\n")
        return interrupted
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from core.errors import describe
        from tui import outside_text

        ctx.clear_status()
        described = describe(exc)
        # the text may quote a name, a subject or a server's answer
        sys.stderr.write(f"depllc: {outside_text.line(described.text)}\n")
        return described.exit_code
    finally:
        ctx.close()
        spare_exit_gc()
        if interrupted is not None and argv is None:
            leave_now(interrupted)


def _is_text(word: str) -> bool:
    """False for an argument holding bytes that were not UTF-8 (Python keeps them as
    lone surrogates, which no store, file or terminal write takes)."""
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def spare_exit_gc() -> None:
    """Nothing is left to collect when a command is done: move every object to the
    permanent generation so the interpreter's shutdown does not walk the ~100k objects
    the imports made (pydantic, botocore, pymongo): about 0.2 s off each command's exit."""
    import gc

    gc.freeze()


if __name__ == "__main__":
    raise SystemExit(main())
