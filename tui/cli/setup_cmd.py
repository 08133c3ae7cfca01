"""`depllc setup`, `depllc iam-policy`, `depllc doctor`, `depllc journal replay|list`:
provision an account, print the policy it needs, diagnose an install, and replay log
writes that could not reach MongoDB."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.cli.context import CommandContext
from tui.cli.exits import batch_code

if TYPE_CHECKING:
    from core.aws import AwsClients
    from core.config import Settings
    from core.db import DatabaseId, Store
    from core.journal import Pending


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = sub.add_parser(
        "setup",
        help="create or fix the bucket, SES configuration set, events queue and indexes",
        description="Reads the account and the database, prints a plan, then creates or "
        "fixes only what is missing. Running it again changes nothing.",
    )
    setup.add_argument("--dry-run", "--plan", action="store_true", help="print the plan and stop")
    setup.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    setup.add_argument(
        "--verify-domain",
        action="store_true",
        help="verify the sender's domain (a DNS record) instead of the address",
    )
    setup.add_argument("--json", action="store_true", help="machine-readable output")
    setup.set_defaults(func=run_setup)

    iam = sub.add_parser(
        "iam-policy", help="print the least-privilege IAM policy the console needs (JSON)"
    )
    iam.add_argument(
        "--no-setup",
        action="store_true",
        help="leave out what only `depllc setup` needs (for day-to-day operators)",
    )
    iam.add_argument("--account", help="AWS account id for the ARNs (default: from STS)")
    iam.set_defaults(func=print_iam_policy)

    doctor = sub.add_parser("doctor", help="check the install: AWS, SES, S3, queue, MongoDB")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=run_doctor_cmd)

    journal = sub.add_parser("journal", help="log writes waiting for MongoDB")
    inner = journal.add_subparsers(dest="journal_command", metavar="{list,replay,drop}")
    listing = inner.add_parser("list", help="show the pending writes")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=journal_list)
    replay = inner.add_parser("replay", help="apply the pending writes to MongoDB")
    replay.add_argument("--json", action="store_true", help="machine-readable output")
    replay.set_defaults(func=journal_replay)
    drop = inner.add_parser(
        "drop", help="delete entries you have decided to abandon (asks first; audited)"
    )
    drop.add_argument("ids", nargs="*", type=int, metavar="ID", help="entry ids (journal list)")
    drop.add_argument(
        "--stale", action="store_true", help="every entry for another database than this one"
    )
    drop.add_argument("--yes", action="store_true", help="do not ask")
    drop.add_argument("--json", action="store_true", help="machine-readable output")
    drop.set_defaults(func=journal_drop)
    journal.add_argument(
        "--json", action="store_true", help="machine-readable output (of the default: list)"
    )
    journal.set_defaults(func=journal_list)


# --- services without the full runtime ------------------------------------------------


def _connected(ctx: CommandContext) -> tuple[Settings, AwsClients, Store]:
    """Settings, AWS clients and the store for a real account (or the sandbox with
    --sandbox). Opens nothing else: a broken install must still be diagnosable."""
    from core.aws import AwsClients
    from core.db import connect
    from core.errors import ConfigError

    if ctx.args.sandbox:
        runtime = ctx.runtime(seed=False)
        return runtime.settings, runtime.aws, runtime.store
    settings = ctx.settings
    if not settings.mongodb_uri:
        raise ConfigError(
            "MONGODB_URI is not set.",
            "Set it to the CRM's database (or mongomock:// to try without one).",
        )
    store = connect(settings.mongodb_uri, settings.database)
    return settings, AwsClients(settings), store


# --- setup ---------------------------------------------------------------------------


def run_setup(ctx: CommandContext) -> int:
    from pathlib import Path

    from core.errors import InputError
    from core.setup.apply import apply_plan, build_plan, make_context
    from core.setup.plan import format_records

    settings, aws, store = _connected(ctx)
    ctx.status("reading the account and the database…")
    setup = make_context(
        settings,
        aws,
        store,
        config_file=Path(ctx.args.config) if ctx.args.config else None,
        verify_domain=ctx.args.verify_domain,
        write_config=not ctx.args.sandbox,
    )
    plan = build_plan(setup)
    ctx.clear_status()
    as_json = ctx.args.json
    if not as_json:
        print(plan.render())
    changes = plan.changes
    if ctx.args.dry_run or not changes:
        if as_json:
            ctx.print_json(
                {
                    "plan": plan.to_dict(),
                    "applied": [],
                    "notes": [],
                    "records": [r.to_dict() for r in plan.records],
                }
            )
        elif changes:
            print("\nDry run: nothing was changed. Run `depllc setup` to apply.")
        return 0
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise InputError(
                f"setup would make {len(changes)} changes and there is no terminal to ask.",
                "Pass --yes to apply them (or --dry-run to only print the plan).",
            )
        answer = input(f"\nApply these {len(changes)} changes? [y/N] ").strip().lower()
        if answer not in {"y", "yes"}:
            print("Nothing was changed.")
            return 1
    result = apply_plan(plan, progress=ctx.status)
    ctx.clear_status()
    if as_json:
        ctx.print_json(
            {
                "plan": plan.to_dict(),
                "applied": [s.to_dict() for s in result.applied],
                "notes": result.notes,
                "records": [r.to_dict() for r in plan.records],
            }
        )
        return 0
    print(f"\nApplied {len(result.applied)} changes.")
    for note in result.notes:
        print(f"  {note}")
    for step in plan.warnings:
        print(f"  ! {step.warning}")
        if step.records:
            print(format_records(step.records, indent="      "))
    print("Check everything with `depllc doctor`.")
    return 0


# --- iam-policy ------------------------------------------------------------------------


def print_iam_policy(ctx: CommandContext) -> int:
    import json

    from core.setup.iam import build_policy
    from core.setup.targets import Account, Targets

    # With --sandbox (asked for, not implied by missing settings): the sandbox's names.
    runtime = ctx.runtime(seed=False) if ctx.settings.sandbox else None
    settings = runtime.settings if runtime is not None else ctx.settings
    targets = Targets.from_settings(settings)
    account: Account | None = None
    if ctx.args.account:
        account = Account(account_id=ctx.args.account, arn=f"arn:aws:iam::{ctx.args.account}:root")
    else:
        from core.aws import AwsClients
        from core.setup.context import caller_account

        try:
            account, _ = caller_account(
                runtime.aws if runtime is not None else AwsClients(settings)
            )
        except Exception as exc:
            from core.errors import describe

            sys.stderr.write(
                f"depllc: account unknown ({describe(exc).text}); ARNs use * for the account. "
                "Pass --account to fill it in.\n"
            )
    policy = build_policy(targets, account, include_setup=not ctx.args.no_setup)
    print(json.dumps(policy, indent=2))
    return 0


# --- doctor ----------------------------------------------------------------------------


def run_doctor_cmd(ctx: CommandContext) -> int:
    from core.setup.doctor import run_doctor

    ctx.status("running checks…")
    if ctx.args.sandbox:
        runtime = ctx.runtime(seed=False)
        report = run_doctor(runtime.settings, runtime.aws, runtime.store)
    else:
        report = run_doctor(ctx.settings)
    ctx.clear_status()
    if ctx.args.json:
        ctx.print_json(report.to_dict())
    else:
        print(report.render())
    return 0 if report.ok else 1


# --- journal ---------------------------------------------------------------------------


def _configured_database(ctx: CommandContext) -> DatabaseId | None:
    """The database the settings name (no connection made); None without MONGODB_URI."""
    from core.db import MOCK_SCHEME, database_id

    settings = ctx.settings
    if ctx.args.sandbox or settings.sandbox:
        return database_id(MOCK_SCHEME, settings.database)
    if not settings.mongodb_uri:
        return None
    return database_id(settings.mongodb_uri, settings.database)


def journal_list(ctx: CommandContext) -> int:
    from core.journal import Journal, journal_path

    entries = Journal().pending()
    here = _configured_database(ctx)
    stale = [e for e in entries if here is None or not e.belongs_to(here)]
    if getattr(ctx.args, "json", False):
        ctx.print_json(
            [
                {
                    "id": e.id,
                    "at": e.at,
                    "collection": e.collection,
                    "filter": e.filter,
                    "update": e.update,
                    "upsert": e.upsert,
                    "attempts": e.attempts,
                    "lastError": e.last_error,
                    "database": e.db_label,
                    "databaseKey": e.db_key,
                    "stale": e in stale,
                }
                for e in entries
            ]
        )
        return 0
    if not entries:
        print(f"The journal is empty ({journal_path()}).")
        return 0
    for e in entries:
        print(_entry_line(e, e in stale))
    waiting = len(entries) - len(stale)
    print(f"\n{waiting} pending; `depllc journal replay` applies them.")
    if stale:
        where = here.label if here is not None else "no database (MONGODB_URI is not set)"
        print(
            f"{len(stale)} stale: they belong to another database than {where}; they stay "
            "until `depllc journal replay` runs with MONGODB_URI and MONGODB_DB naming theirs."
        )
    return 0


def _entry_line(entry: Pending, stale: bool) -> str:
    from bson import json_util

    from tui.outside_text import line

    state = "stale  " if stale else "pending"
    error = f"  last error: {entry.last_error}" if entry.last_error else ""
    return line(
        f"{entry.id:>5}  {state}  {entry.at}  {entry.collection}  "
        f"{json_util.dumps(entry.filter)}  {entry.database_label}  attempts {entry.attempts}"
        f"{error}"
    )


def journal_drop(ctx: CommandContext) -> int:
    """Delete journal entries an operator abandons (their writes are never made): the
    ids given, or every stale one. Asks first (no terminal: --yes); the audit log keeps
    each entry whole (`journal-drop`) before it goes, so nothing is dropped unrecorded."""
    from core import audit
    from core.errors import ConfigError, InputError
    from core.journal import Journal
    from core.wording import counted

    args = ctx.args
    if args.sandbox:
        raise InputError(
            "The journal holds writes for the real MongoDB, not the sandbox.",
            "Run `depllc journal drop` without --sandbox.",
        )
    if bool(args.ids) == args.stale:
        raise InputError(
            "Name the entries to drop (their ids) or give --stale, one of the two.",
            "`depllc journal list` shows the ids and which entries are stale.",
        )
    journal = Journal()
    entries = journal.pending()
    here = _configured_database(ctx)
    if args.stale:
        if here is None:
            raise ConfigError(
                "MONGODB_URI is not set, so no entry can be told stale.",
                "Set MONGODB_URI (and MONGODB_DB) to the database in use, or name the ids.",
            )
        chosen = [e for e in entries if not e.belongs_to(here)]
    else:
        by_id = {e.id: e for e in entries}
        unknown = [str(i) for i in args.ids if i not in by_id]
        if unknown:
            raise InputError(
                f"No journal entry {', '.join(unknown)}: nothing was dropped.",
                "`depllc journal list` shows the ids.",
            )
        chosen = [by_id[i] for i in dict.fromkeys(args.ids)]
    if not chosen:
        if args.json:
            ctx.print_json({"dropped": [], "left": len(entries)})
        else:
            print("No stale entry: nothing to drop.")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(
                "journal drop deletes writes for good and there is no terminal to ask.",
                "Pass --yes to drop them.",
            )
        for e in chosen:
            print(_entry_line(e, here is None or not e.belongs_to(here)))
        question = (
            f"Drop {counted(len(chosen), 'journal entry', 'journal entries')}? Their "
            "writes are never made: a message SES accepted may keep a `queued` log. [y/N] "
        )
        if input(question).strip().lower() not in {"y", "yes"}:
            print("Nothing was dropped.")
            return 1
    runtime = ctx.runtime()
    audit.record(
        runtime.store,
        runtime.operator,
        "journal-drop",
        ", ".join(str(e.id) for e in chosen),
        entries=[
            {
                "id": e.id,
                "at": e.at,
                "database": e.database_label,
                "collection": e.collection,
                "filter": e.filter,
                "update": e.update,
                "upsert": e.upsert,
                "lastError": e.last_error,
            }
            for e in chosen
        ],
    )
    journal.drop([e.id for e in chosen])
    left = journal.count()
    if args.json:
        ctx.print_json({"dropped": [e.id for e in chosen], "left": left})
    else:
        print(
            f"Dropped {counted(len(chosen), 'journal entry', 'journal entries')} "
            f"(kept whole in the audit log as journal-drop); {left} left."
        )
    return 0


def journal_replay(ctx: CommandContext) -> int:
    from core.db import connect
    from core.errors import ConfigError, InputError
    from core.journal import Journal

    if ctx.args.sandbox:
        raise InputError(
            "The journal holds writes for the real MongoDB, not the sandbox.",
            "Run `depllc journal replay` without --sandbox.",
        )
    journal = Journal()
    if journal.count() == 0:
        if ctx.args.json:
            ctx.print_json({"applied": 0, "pending": 0, "stale": 0, "waiting": None})
            return 0
        print("The journal is empty: nothing to replay.")
        return 0
    settings = ctx.settings
    if not settings.mongodb_uri:
        raise ConfigError("MONGODB_URI is not set.", "Set it, then rerun.")
    store = connect(settings.mongodb_uri, settings.database)
    if store.database.in_process:
        raise InputError(
            "MONGODB_URI names an in-process store: the journal's writes belong to a "
            "MongoDB server, so nothing was replayed.",
            "Set MONGODB_URI and MONGODB_DB to the database they were written for "
            "(`depllc journal list` names it).",
        )
    store.ping()
    report = journal.replay(store)
    if ctx.args.json:
        waiting = (
            next(e for e in journal.pending() if e.belongs_to(store.database))
            if report.pending
            else None
        )
        ctx.print_json(
            {
                "applied": report.applied,
                "pending": report.pending,
                "stale": report.stale,
                "waiting": {"id": waiting.id, "error": waiting.last_error} if waiting else None,
            }
        )
        return batch_code(report.applied, report.pending)
    print(f"Replayed {report.applied} writes; {report.pending} still pending.")
    if report.stale:
        print(
            f"{report.stale} stale entries belong to another database than "
            f"{store.database.label}; left in place (`depllc journal list`)."
        )
    if report.pending:
        from tui.outside_text import line

        first = next(e for e in journal.pending() if e.belongs_to(store.database))
        print(line(f"Entry {first.id} waits: {first.last_error or 'unknown error'}"))
    return batch_code(report.applied, report.pending)
