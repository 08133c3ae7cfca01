"""`depllc case ADDRESS|CLIENT_ID`: one person's emails, files, suppressions and audit
entries in one place, newest first (core/case.py)."""

from __future__ import annotations

import argparse

from tui.cli.context import CommandContext, terminal_width


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
    terminal = terminal_width()

    def say(text: str, indent: str = "") -> None:
        """A line of prose: on a terminal wrapped at its width, between words."""
        if terminal is None:
            print(indent + text)
            return
        import textwrap

        width = terminal - 1
        print(
            "\n".join(
                textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ")
            )
        )

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
        say(f"{line(a.email)}: {state}; {a.bounces} bounced, {complaints}", "  ")
        problem = a.last_problem
        reason = explain(problem.diagnostic, problem.status.value) if problem else None
        if problem is not None and reason is not None:
            when = f"{problem.updatedAt:%Y-%m-%d}"
            say(f"last {problem.status.value} {when}: {line(reason.line())}", "    ")
            say(f"raw: {line(problem.diagnostic)}", "    ")
    hidden = f" ({case.hidden_files} hidden by your role)" if case.hidden_files else ""
    totals = case.totals
    print(
        f"\n{counted(totals['email'], 'email')}, {counted(totals['file'], 'file')}{hidden}, "
        f"{counted(totals['audit'], 'audit entry', 'audit entries')}"
    )
    # on a terminal a row fits it: below 100 columns the time is shorter, and the title
    # gives way (to 16) before the detail (a status, a size) is cut
    items = case.timeline()
    narrow = terminal is not None and terminal < 100
    stamp = "%m-%d %H:%M" if narrow else "%Y-%m-%d %H:%M"
    details = [line(item.detail, 60) for item in items]
    title = 50
    if terminal is not None:
        head = (11 if narrow else 16) + 2 + 12  # time, kind
        title = max(16, min(50, terminal - 1 - head - 2 - max(map(len, details), default=0)))
    for item, detail in zip(items, details, strict=True):
        row = f"{item.at.astimezone():{stamp}}  {item.kind:<11} "
        row += f"{line(item.title, title):<{title}}  {detail}"
        print(line(row, terminal - 1) if terminal is not None else row)
    if case.next_cursor:
        sys.stderr.write(f"next page: --cursor {case.next_cursor}\n")
    return 0
