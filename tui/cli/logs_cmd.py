"""`depllc logs`, `depllc logs show ID`, `depllc logs export PATH`, `depllc logs saved`
and `depllc stats`: the email log from the command line, over core.logs."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui import outside_text
from tui.cli.context import CommandContext, terminal_width

if TYPE_CHECKING:
    from core.logs.query import FilterSet


def _add_filters(
    parser: argparse.ArgumentParser, keep_parent: bool = False, sorting: bool = True
) -> None:
    """The filter flags; on a subcommand they default to SUPPRESS so values given
    before the subcommand (`depllc logs --status bounced export x.csv`) survive.
    `sorting`: also --sort/--asc (not for figures)."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if keep_parent else value

    group = parser.add_argument_group("filters")
    group.add_argument(
        "--search",
        "-s",
        default=default(None),
        metavar="TEXT",
        help="text in the subject, recipients or message id (literal)",
    )
    group.add_argument(
        "--status",
        default=default(None),
        help="queued, sent, delivered, bounced, complaint or failed",
    )
    group.add_argument(
        "--category",
        default=default(None),
        help="auth, notification, marketing, system or client-portal",
    )
    group.add_argument("--priority", default=default(None), help="low, normal, high or urgent")
    group.add_argument(
        "--dates",
        "--since",
        dest="dates",
        default=default(None),
        metavar="RANGE",
        help="today, yesterday, 7d, 24h, 2026-11-01, 2026-11-01..2026-11-20",
    )
    group.add_argument(
        "--to",
        dest="recipient",
        default=default(None),
        metavar="ADDR",
        help="a recipient (to, cc or bcc), exact address",
    )
    group.add_argument("--message-id", default=default(None), metavar="ID", help="SES MessageId")
    group.add_argument("--user", default=default(None), metavar="ID", help="userId")
    group.add_argument("--client", default=default(None), metavar="ID", help="clientId")
    attach = group.add_mutually_exclusive_group()
    attach.add_argument(
        "--attachments",
        dest="attachments",
        action="store_const",
        const=True,
        default=default(None),
        help="only messages with attachments",
    )
    attach.add_argument(
        "--no-attachments",
        dest="attachments",
        action="store_const",
        const=False,
        default=default(None),
        help="only messages without",
    )
    if sorting:
        group.add_argument(
            "--sort",
            default=default(None),
            help="createdAt (default), subject, status or category",
        )
        group.add_argument(
            "--asc", action="store_true", default=default(False), help="oldest / A-Z first"
        )
    group.add_argument(
        "--saved",
        default=default(None),
        metavar="NAME",
        help="start from a saved search (flags given here override it)",
    )


class _QueryOrCommand(argparse._SubParsersAction):  # type: ignore[type-arg]
    """`depllc logs QUERY [flags]` beside `depllc logs show|export|saved ...`: a first
    word that is not a subcommand is the query line (argparse would refuse it as an
    invalid choice); the flags after it are parsed as the logs command's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = None  # type: ignore[assignment]  # checked in __call__: a query passes

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        first, *rest = values
        if first in self._name_parser_map:
            super().__call__(parser, namespace, values, option_string)
            return
        namespace.query = first
        extra = parser.parse_args(rest, argparse.Namespace()) if rest else None
        if extra is not None:
            if getattr(extra, "query", ""):
                parser.error(f"give one query (quote it): {extra.query!r} follows {first!r}")
            for name, value in vars(extra).items():
                if value != parser.get_default(name):
                    setattr(namespace, name, value)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    logs = sub.add_parser(
        "logs",
        help="list, show and export email logs",
        description="List email logs, newest first. Filters combine (AND). QUERY is the "
        "console's query line: free text plus status: cat: prio: since: until: to: client: "
        "has:attachment id: user: (`depllc logs 'status:bounced since:7d'`); flags given "
        "beside it win.",
    )
    _add_filters(logs)
    logs.add_argument("--limit", "-n", type=int, default=50, help="rows to print (default 50)")
    logs.add_argument(
        "--cursor",
        metavar="C",
        help="start after this row: the nextCursor of the previous --json page",
    )
    out = logs.add_mutually_exclusive_group()
    out.add_argument(
        "--json",
        action="store_true",
        help='{"items": [...], "nextCursor": C or null} (no bodies)',
    )
    out.add_argument("--csv", action="store_true", help="CSV (no bodies)")
    logs.add_argument("--save-as", metavar="NAME", help="save these filters as a named search")
    logs.set_defaults(func=list_logs, query="")
    inner = logs.add_subparsers(
        dest="logs_command", metavar="[QUERY | {show,export,saved}]", action=_QueryOrCommand
    )

    show = inner.add_parser("show", help="one message: recipients, events, body")
    show.add_argument("id", metavar="ID", help="log id or SES MessageId")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=show_log)

    export = inner.add_parser(
        "export",
        help="export the filtered logs to CSV or JSON Lines (streamed)",
        description="Streams every matching log to PATH (.csv or .jsonl) through a "
        "temporary file renamed when complete. Bodies of auth emails are redacted.",
    )
    export.add_argument("path", metavar="PATH")
    export.add_argument("--format", choices=("csv", "jsonl"), help="else from the extension")
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    export.add_argument("--no-bodies", action="store_true", help="leave out the bodies")
    export.add_argument(
        "--json", action="store_true", help="print {path, rows, bytes, format} when done"
    )
    _add_filters(export, keep_parent=True)
    export.set_defaults(func=export_cmd)

    saved = inner.add_parser("saved", help="list saved searches")
    saved.add_argument("--json", action="store_true")
    saved.add_argument("--delete", metavar="NAME", help="delete a saved search")
    saved.set_defaults(func=saved_cmd)

    stats = sub.add_parser(
        "stats",
        help="delivery figures: totals, rates against SES thresholds, quota",
        description="Totals, cost, rates (bounce review at 5%, complaint at 0.1%), "
        "per-day counts, and SES's quota and two-week statistics, for the logs the "
        "filters select (the same filters as `depllc logs`; --since defaults to 30d).",
    )
    _add_filters(stats, sorting=False)
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(func=stats_cmd)


def filters_from(args: argparse.Namespace) -> FilterSet:
    from core.logs import saved
    from core.logs.query import FilterSet
    from core.query_line import log_filters, parse

    base = saved.get(args.saved) if getattr(args, "saved", None) else FilterSet()
    line = getattr(args, "query", "")
    if line.strip():  # the query's filters over the saved search's
        typed = log_filters(parse(line, "logs")).model_dump(exclude_defaults=True)
        base = base.model_copy(update=typed)
    given = {
        "search": getattr(args, "search", None),
        "status": getattr(args, "status", None),
        "category": getattr(args, "category", None),
        "priority": getattr(args, "priority", None),
        "dates": getattr(args, "dates", None),
        "recipient": getattr(args, "recipient", None),
        "messageId": getattr(args, "message_id", None),
        "userId": getattr(args, "user", None),
        "clientId": getattr(args, "client", None),
        "hasAttachments": getattr(args, "attachments", None),
        "sortBy": getattr(args, "sort", None),
        "sortOrder": "asc" if getattr(args, "asc", False) else None,
    }
    return base.model_copy(update={k: v for k, v in given.items() if v is not None})


def plain(doc: dict[str, Any]) -> Any:
    """A stored document as plain JSON values: ids as strings, times ISO 8601 UTC; an
    auth email's secrets (body, template data, clicked links) redacted."""
    from core.logs.detail import redact
    from core.logs.export import plain_json

    return plain_json(redact(doc))


def list_logs(ctx: CommandContext) -> int:
    import csv

    from core.errors import InputError
    from core.logs import saved
    from core.logs.export import CSV_COLUMNS, csv_row
    from core.logs.query import Cursor, count, fetch_page, row_problem

    args = ctx.args
    if not 1 <= args.limit <= 1_000_000:
        raise InputError(f"--limit {args.limit} is out of range.", "Use 1 to 1000000.")
    filters = filters_from(args)
    query = filters.to_query(limit=min(args.limit, 1000))
    start = Cursor.decode(args.cursor) if args.cursor else None
    if args.save_as:
        name = saved.save(args.save_as, filters)
        sys.stderr.write(
            f"saved search {outside_text.line(repr(name))}: "
            f"{outside_text.line(filters.describe())}\n"
        )
    store = ctx.runtime().store
    rows: list[dict[str, Any]] = []
    page = fetch_page(store, query, after=start)
    rows += page.rows
    while page.next_cursor is not None and len(rows) < args.limit:
        page = fetch_page(store, query, after=page.next_cursor)
        rows += page.rows
    more = len(rows) > args.limit or page.next_cursor is not None
    rows = rows[: args.limit]
    next_cursor = Cursor.of(query, rows[-1]).encode() if more and rows else None
    problems = {str(doc.get("_id")): p for doc in rows if (p := row_problem(doc))}
    ctx.clear_status()
    if problems:  # reported once; the rows are listed (and marked) all the same
        sys.stderr.write(
            f"{len(problems)} log(s) could not be read in full (marked !): "
            + "; ".join(f"{i}: {outside_text.line(p)}" for i, p in list(problems.items())[:3])
            + "\n"
        )
    if args.json:
        items = [
            {
                **plain(doc),
                **({"problem": problems[k]} if (k := str(doc.get("_id"))) in problems else {}),
            }
            for doc in rows
        ]
        ctx.print_json({"items": items, "nextCursor": next_cursor})
        return 0
    if args.csv:
        # the data as stored for a file or a pipe; a terminal sees every cell made visible
        on_terminal = sys.stdout.isatty()
        writer = csv.writer(sys.stdout, lineterminator="\n" if on_terminal else "\r\n")
        writer.writerow(CSV_COLUMNS[:-1])
        for doc in rows:
            cells = csv_row(doc)[:-1]
            writer.writerow([outside_text.visible(c) for c in cells] if on_terminal else cells)
        return 0
    widths = list_layout(terminal_width())
    header = {"time": "TIME", "status": "STATUS", "category": "CATEGORY", "prio": "PRIO"}
    header |= {"to": "TO", "subject": "SUBJECT"}
    print("  ".join(f"{header[key]:<{w}}" for key, w in widths.items()) + "  ID")
    for doc in rows:
        people = [
            str(p) for p in (*_list(doc.get("to")), *_list(doc.get("cc")), *_list(doc.get("bcc")))
        ]
        more = f" +{len(people) - 1}" if len(people) > 1 else ""
        created = doc.get("createdAt")
        stamp = "%Y-%m-%d %H:%M" if widths["time"] >= 16 else "%m-%d %H:%M"
        row = {
            "time": created.astimezone().strftime(stamp) if isinstance(created, datetime) else "-",
            "status": outside_text.line(doc.get("status"), widths["status"]),
            "category": outside_text.line(doc.get("category"), widths.get("category")),
            "prio": outside_text.line(doc.get("priority"), widths.get("prio")),
            "to": outside_text.line(people[0] if people else "-", widths["to"] - len(more)) + more,
            "subject": outside_text.line(doc.get("subject"), widths["subject"]),
        }
        mark = "  !" if str(doc.get("_id")) in problems else ""
        shown = "  ".join(f"{row[key]:<{w}}" for key, w in widths.items())
        print(f"{shown}  {doc['_id']}{mark}")
    total = count(store, query)
    of = f" of {total.label()}" if total.value > len(rows) or total.capped else ""
    sys.stderr.write(f"{len(rows)}{of} logs · {outside_text.line(filters.describe())}\n")
    if next_cursor:
        sys.stderr.write(f"next page: --cursor {next_cursor}\n")
    return 0


# The list's columns, whole (a file or a pipe gets these). On a terminal, To and Subject
# share what is left; Category, then Priority give way (Priority first) when keeping
# them would leave those two less than COMFORT (the query line and `--category`,
# `--priority` still filter on them; `logs show` has everything).
FULL_LAYOUT = {"time": 16, "status": 9, "category": 13, "prio": 6, "to": 30, "subject": 60}
NARROWEST = {"to": 14, "subject": 12}
COMFORT = 44  # To and Subject together
ID_WIDTH = 24  # the log id, last and whole: `logs show ID`, `resend ID`


def list_layout(width: int | None) -> dict[str, int]:
    """Column widths for the list on a terminal `width` columns wide (None: whole). A
    row is the columns and the id, two spaces apart, within `width - 1`."""
    if width is None:
        return dict(FULL_LAYOUT)
    fixed = {"time": 16 if width >= 100 else 11, "status": FULL_LAYOUT["status"]}

    def left(columns: dict[str, int]) -> int:  # for To and Subject
        return width - 1 - ID_WIDTH - 2 * (len(columns) + 2) - sum(columns.values())

    for optional in ("category", "prio"):
        wider = fixed | {optional: FULL_LAYOUT[optional]}
        if left(wider) >= COMFORT:
            fixed = wider
    room = left(fixed)
    to = max(NARROWEST["to"], min(FULL_LAYOUT["to"], room * 2 // 5))
    subject = max(NARROWEST["subject"], min(FULL_LAYOUT["subject"], room - to))
    planned = fixed | {"to": to, "subject": subject}
    return {key: planned[key] for key in FULL_LAYOUT if key in planned}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def show_log(ctx: CommandContext) -> int:
    from core.logs.detail import find_log, load_detail, redact

    store = ctx.runtime().store
    detail = load_detail(store, ctx.args.id)
    ctx.clear_status()
    if ctx.args.json:
        doc = redact(find_log(store, detail.id))
        doc["timeline"] = [
            {"at": t.at, "type": t.type, "summary": t.summary, "details": t.details}
            for t in detail.timeline
        ]
        doc["recipients"] = [
            {
                "email": r.email,
                "field": r.kind,
                "status": r.status,
                "diagnostic": r.diagnostic,
                "suppressed": r.email.lower() in detail.suppressed,
                **_reason_json(r.diagnostic, r.status),
            }
            for r in detail.recipients
        ]
        if detail.problem:
            doc["problem"] = detail.problem
        ctx.print_json(plain(doc))
        return 0
    from rich.console import Console

    from tui.screens.log_detail import header_table, more_table, timeline_text, why_text

    # Rich Text from outside_text throughout: a subject or a diagnostic is never markup
    console = Console(highlight=False)
    console.print(header_table(detail))
    console.print(more_table(detail))
    console.print("\n[b]Recipients[/b]")
    for r in detail.recipients:
        line = outside_text.text(f"  {r.email} ({r.kind})  {r.status}", no_wrap=False)
        if r.diagnostic:
            line.append(f"  {outside_text.visible(r.diagnostic)}")
        if r.email.lower() in detail.suppressed:
            line.append("  suppressed", style="red")
        console.print(line)
    why = why_text(detail)
    if why:
        console.print(why)
    console.print("\n[b]Events[/b]")
    # Piped: one event line per event (grep-able), not wrapped at 80 columns.
    console.print(timeline_text(detail), soft_wrap=not console.is_terminal)
    console.print("[b]Body[/b]")
    console.print(outside_text.text(detail.body, multiline=True))
    return 0


def _reason_json(diagnostic: str | None, status: str) -> dict[str, str]:
    """The plain-words reason of a recipient's outcome, for --json (none when delivered)."""
    from core.delivery_reasons import explain

    reason = explain(diagnostic, status) if status != "delivered" else None
    return {"reason": reason.summary, "nextStep": reason.next_step} if reason else {}


def export_cmd(ctx: CommandContext) -> int:
    from pathlib import Path

    import humanize

    from core.logs.export import check_target, export_logs, format_for

    args = ctx.args
    filters = filters_from(args)
    query = filters.to_query(limit=1000)
    path = Path(args.path)
    check_target(path, args.force)  # before opening anything
    fmt = format_for(path, args.format)
    store = ctx.runtime().store
    result = export_logs(
        store,
        query,
        path,
        fmt=fmt,
        overwrite=args.force,
        include_bodies=not args.no_bodies,
        progress=lambda rows: ctx.status(f"exporting… {rows:,} rows"),
    )
    ctx.clear_status()
    if args.json:
        ctx.print_json(
            {
                "path": str(result.path),
                "rows": result.rows,
                "bytes": result.bytes,
                "format": result.format,
            }
        )
        return 0
    print(
        f"{result.rows:,} logs → {result.path} ({humanize.naturalsize(result.bytes)}, "
        f"{result.format})"
    )
    return 0


def saved_cmd(ctx: CommandContext) -> int:
    from core.logs import saved

    if ctx.args.delete:
        saved.delete(ctx.args.delete)
        print(f"deleted saved search {outside_text.line(repr(ctx.args.delete))}")
        return 0
    entries = saved.load_all()
    if ctx.args.json:
        ctx.print_json({name: f.model_dump(exclude_defaults=True) for name, f in entries.items()})
        return 0
    if not entries:
        print("no saved searches (save one with `depllc logs ... --save-as NAME` or ctrl+s)")
    for name, filters in entries.items():
        print(f"{outside_text.line(name)}: {outside_text.line(filters.describe())}")
    return 0


def stats_cmd(ctx: CommandContext) -> int:
    import humanize

    from core.logs.analytics import compute, with_ses

    args = ctx.args
    filters = filters_from(args)
    if not filters.dates:
        filters = filters.model_copy(update={"dates": "30d"})
    query = filters.to_query()
    runtime = ctx.runtime()
    figures = with_ses(compute(runtime.store, query), runtime)
    ctx.clear_status()
    if args.json:
        ctx.print_json(figures.to_json())
        return 0
    r = figures.rates
    start = f"since {query.startDate.astimezone():%Y-%m-%d %H:%M}" if query.startDate else "all"
    print(f"{start} · {filters.describe()}: {figures.total:,} emails")
    print(f"  cost ${figures.cost:,.4f} · average size {humanize.naturalsize(figures.avg_size)}")
    left_out = f" ({figures.simulator:,} to the simulator left out)" if figures.simulator else ""
    print(f"  delivered {r.delivered:.2%} of {r.accepted:,} accepted by SES{left_out}")
    print(f"  bounce    {r.bounce:.2%}  [{r.bounce_level.value}]  (SES reviews at 5%)")
    print(f"  complaint {r.complaint:.3%}  [{r.complaint_level.value}]  (SES reviews at 0.1%)")
    for label, counts in (
        ("by status:  ", figures.by_status),
        ("by category:", figures.by_category),
    ):
        shown = ", ".join(f"{outside_text.line(k)} {v:,}" for k, v in counts.items() if v)
        print(f"  {label} {shown}")
    peak = max((d.total for d in figures.daily), default=0) or 1
    bars = "▁▂▃▄▅▆▇█"
    spark = "".join(bars[min(7, d.total * 8 // (peak + 1))] for d in figures.daily)
    print(f"  per day (UTC, {len(figures.daily)} days): {spark}")
    if figures.quota is not None:
        q = figures.quota
        used = "" if q.unlimited else f" ({q.used:.1%})"
        print(f"SES quota: {q.usage_text()}{used}, {q.pace_text()}")
    if figures.ses_stats is not None:
        s = figures.ses_stats
        print(
            f"SES, last 2 weeks: {s.attempts:,} attempts, {s.bounces:,} bounces, "
            f"{s.complaints:,} complaints, {s.rejects:,} rejects"
        )
    if figures.ses_error:
        print(f"SES figures unavailable: {outside_text.line(figures.ses_error)}", file=sys.stderr)
    return 0
