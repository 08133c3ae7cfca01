"""Entry point of `depllc`. Imports stay light here: `--help` must be fast, so each
command imports boto3, pymongo or Textual only when it runs."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core import __version__
from tui.cli.exits import EXIT_CODES

# Every command, the module that registers it (register(subparsers) sets `func`) and
# its line in `depllc --help`. Only the module of the command being run is imported and
# built: `--help` and each command start without the others' argparse trees (a test
# checks this table against what the modules register).
COMMANDS: dict[str, tuple[str, str]] = {
    "setup": (
        "tui.cli.setup_cmd",
        "create or fix the bucket, SES configuration set, events queue and indexes",
    ),
    "iam-policy": (
        "tui.cli.setup_cmd",
        "print the least-privilege IAM policy the console needs (JSON)",
    ),
    "doctor": ("tui.cli.setup_cmd", "check the install: AWS, SES, S3, queue, MongoDB"),
    "journal": ("tui.cli.setup_cmd", "log writes waiting for MongoDB"),
    "config": ("tui.cli.config_cmd", "show the effective settings"),
    "send": (
        "tui.cli.send_cmd",
        "send one email (Markdown, text, HTML or an SES template), with attachments",
    ),
    "resend": ("tui.cli.send_cmd", "send a logged message again (same content and attachments)"),
    "send-bulk": ("tui.cli.send_cmd", "send one SES template to every row of a CSV file"),
    "templates": ("tui.cli.send_cmd", "list, show and render SES templates"),
    "events": (
        "tui.cli.events_cmd",
        "SES delivery events: pull from the SQS queue, ingest saved bodies",
    ),
    "suppressions": ("tui.cli.events_cmd", "list, add and remove suppressed addresses"),
    "logs": ("tui.cli.logs_cmd", "list, show and export email logs"),
    "stats": (
        "tui.cli.logs_cmd",
        "delivery figures: totals, rates against SES thresholds, quota",
    ),
    "files": ("tui.cli.files_cmd", "files in S3 and their catalogue"),
    "audit": ("tui.cli.audit_cmd", "read the audit log: who changed what, newest first"),
    "case": (
        "tui.cli.case_cmd",
        "one client or address: emails, files, suppressions, audit, newest first",
    ),
    "sandbox": ("tui.cli.sandbox_cmd", "a sandbox that lasts between commands (up, status, down)"),
    "completion": ("tui.cli.completion", "print the shell completion script (bash, zsh or fish)"),
    "operators": (
        "tui.cli.operators_cmd",
        "who is who: AWS identities mapped to a role and a CRM user id",
    ),
}


def command_word(words: Sequence[str]) -> str | None:
    """The command named in `words` (the first word that is not a top-level option or
    its value), or None."""
    takes_value = {
        option
        for action in _top_parser()._actions
        if action.nargs != 0
        for option in action.option_strings
    }
    words = list(words)
    while words:
        word = words.pop(0)
        if word == "--":
            return words[0] if words else None
        if word in takes_value:
            words = words[1:]
        elif not word.startswith("-"):
            return word
    return None


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"depllc: {message} (see `depllc --help`)\n")
        raise SystemExit(2)


def _top_parser() -> argparse.ArgumentParser:
    """`depllc` and its own options, without the commands."""
    parser = _Parser(
        prog="depllc",
        description="Keyboard-driven console for the DepLLC CRM's email (SES) and files (S3). "
        "With no command it opens the terminal UI.",
        epilog=EXIT_CODES,
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
    return parser


def build_parser(command: str | None = None, whole: bool = True) -> argparse.ArgumentParser:
    """The command line. `whole`: every command's options (completion, tests); else only
    `command`'s module is imported and built, the other commands are listed by name."""
    parser = _top_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = {module for name, (module, _) in COMMANDS.items() if whole or name == command}
    for module in dict.fromkeys(module for module, _ in COMMANDS.values()):
        if module in wanted:
            importlib.import_module(module).register(sub)
        else:
            for name, (owner, line) in COMMANDS.items():
                if owner == module:
                    sub.add_parser(name, help=line, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 128 + the
    signal); run as the program (no `argv`), an interrupted command then ends the
    process at once rather than wait for threads still blocked in a network call."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:2] == ["__complete", "--"]:  # a shell's Tab (see tui/cli/completion.py)
        from tui.cli.completion import complete

        sys.stdout.write("".join(f"{c}\n" for c in complete(build_parser(), words[2:])))
        return 0
    parser = build_parser(command_word(words), whole=False)
    undecodable = next((w for w in words if not _is_text(w)), None)
    if undecodable is not None:
        shown = undecodable.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        sys.stderr.write(
            f"depllc: {shown!r} is not UTF-8 text (bytes in another encoding); retype it, "
            "or rename the file, in UTF-8.\n"
        )
        return 2
    args = parser.parse_args(words)  # (--help ends here, before the imports below)
    from tui.cli.context import CommandContext
    from tui.interrupts import exit_code, leave_now, raising_signals

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
