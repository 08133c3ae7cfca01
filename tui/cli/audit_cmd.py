"""`depllc audit`: read the audit log (every change an operator made), newest first."""

from __future__ import annotations

import argparse

from tui.cli.context import CommandContext, terminal_width


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="read the audit log: who changed what, newest first",
        description="Entries of the audit log (sends, resends, uploads, deletes, purges, "
        "links, suppressions), newest first. QUERY is the console's query line of the "
        "Audit screen: text in the target and actor: action: target: since: until: "
        "(`depllc audit 'actor:ana action:purge since:30d'`). Filters combine (AND); a "
        "flag replaces the same key of the query.",
    )
    audit.add_argument(
        "query", nargs="?", default="", metavar="QUERY", help="e.g. 'action:purge since:7d'"
    )
    audit.add_argument(
        "--since",
        "--dates",
        dest="dates",
        metavar="RANGE",
        help="today, 7d, 24h, 2026-11-01, 2026-11-01..2026-11-20",
    )
    audit.add_argument("--action", metavar="A", help="send, resend, upload, delete, purge, ...")
    audit.add_argument("--target", metavar="ID", help="a log id, file id or address")
    audit.add_argument("--operator", metavar="NAME", help="who made the change")
    audit.add_argument("--limit", "-n", type=int, default=100, help="entries (default 100)")
    audit.add_argument("--json", action="store_true", help="machine-readable output")
    audit.set_defaults(func=audit_cmd)


def audit_cmd(ctx: CommandContext) -> int:
    import json
    from dataclasses import replace

    from core import audit
    from core.errors import InputError
    from core.logs.dates import parse_range
    from core.query_line import audit_filter, parse
    from tui.outside_text import line

    args = ctx.args
    if not 1 <= args.limit <= 100_000:
        raise InputError(f"--limit {args.limit} is out of range.", "Use 1 to 100000.")
    where = audit_filter(parse(args.query, "audit"))
    if args.dates:
        span = parse_range(args.dates)
        where = replace(where, start=span.start, end=span.end)
    if args.action:
        where = replace(where, action=args.action)
    if args.target:
        where = replace(where, targets=(args.target.strip(),))
    if args.operator:
        where = replace(where, operator=args.operator)
    entries, _ = audit.find_page(ctx.runtime().store, where, args.limit)
    ctx.clear_status()
    if args.json:
        ctx.print_json(
            [
                {
                    **e.model_dump(mode="json", by_alias=True, exclude_none=True),
                    **({"problem": e.problem} if e.problem else {}),
                }
                for e in entries
            ]
        )
        return 0
    if not entries:
        print("no audit entries match")
        return 0
    terminal = terminal_width()  # on a terminal a row fits it (the details cut last)
    for e in entries:
        details = json.dumps(e.details, default=str, ensure_ascii=False, separators=(",", ":"))
        when = e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        row = f"{when}  {e.operator:<12} {e.action:<12} {e.target}  {details}"
        print(line(row, terminal - 1 if terminal is not None else 200))
    return 0
