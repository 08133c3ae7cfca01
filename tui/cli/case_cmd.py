"""`depllc case ADDRESS|CLIENT_ID`: one person's emails, files, suppressions and audit
entries in one place, newest first (core/case.py)."""

from __future__ import annotations

import argparse

from tui.cli.context import CommandContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "case",
        help="one client or address: emails, files, suppressions, audit, newest first",
        description="Everything the CRM holds about one person: the addresses used with "
        "their suppression state and bounce/complaint counts, then one timeline of their "
        "emails, files and the audit entries touching them. Bounce reasons in plain words.",
    )
    p.add_argument("query", metavar="ADDRESS|CLIENT_ID")
    p.add_argument("--since", metavar="RANGE", help="only what happened since (7d, 2026-11-01)")
    p.add_argument(
        "--limit", "-n", type=int, default=200, help="timeline items a page (default 200)"
    )
    p.add_argument(
        "--cursor",
        metavar="C",
        help="the page after the previous one: its nextCursor (--json) or the `next page:` line",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="the person, the page's emails, files, audit entries and suppressions, "
        '"nextCursor": C or null',
    )
    p.set_defaults(func=case_cmd)


def case_cmd(ctx: CommandContext) -> int:
    import sys

    from core.case import open_case, to_json
    from core.delivery_reasons import explain
    from core.errors import InputError
    from core.logs.dates import parse_since
    from core.wording import counted
    from tui.outside_text import line

    if ctx.args.limit < 1:
        raise InputError("--limit must be 1 or more.")
    since = parse_since(ctx.args.since) if ctx.args.since else None
    case = open_case(
        ctx.runtime(), ctx.args.query, since=since, limit=ctx.args.limit, cursor=ctx.args.cursor
    )
    if ctx.args.json:
        ctx.print_json(to_json(case))
        return 0
    who = "address" if case.kind == "address" else "client"
    print(f"case: {who} {line(case.query)}")
    if case.client_ids:
        print("client ids: " + ", ".join(line(c) for c in case.client_ids))
    for a in case.addresses:
        state = "not suppressed"
        if a.suppression is not None:
            s = a.suppression
            state = f"SUPPRESSED ({s.reason.value} since {s.at:%Y-%m-%d})"
        complaints = counted(a.complaints, "complaint")
        print(f"  {line(a.email)}: {state}; {a.bounces} bounced, {complaints}")
        problem = a.last_problem
        reason = explain(problem.diagnostic, problem.status.value) if problem else None
        if problem is not None and reason is not None:
            print(
                f"    last {problem.status.value} {problem.updatedAt:%Y-%m-%d}: "
                f"{line(reason.line())}"
            )
            print(f"    raw: {line(problem.diagnostic)}")
    hidden = f" ({case.hidden_files} hidden by your role)" if case.hidden_files else ""
    totals = case.totals
    print(
        f"\n{counted(totals['email'], 'email')}, {counted(totals['file'], 'file')}{hidden}, "
        f"{counted(totals['audit'], 'audit entry', 'audit entries')}"
    )
    for item in case.timeline():
        print(
            f"{item.at.astimezone():%Y-%m-%d %H:%M}  {item.kind:<11} {line(item.title, 50):<50}"
            f"  {line(item.detail, 60)}"
        )
    if case.next_cursor:
        sys.stderr.write(f"next page: --cursor {case.next_cursor}\n")
    return 0
