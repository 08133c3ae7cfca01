"""`depllc events pull|ingest|unmatched|rates` and `depllc suppressions
list|add|remove`: SES delivery events and the suppression list from the command line
(cron, a systemd service, a support ticket's saved bodies)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import outside_text
from tui.cli.context import CommandContext, terminal_width, whole_number
from tui.cli.exits import batch_code
from tui.outside_text import line

if TYPE_CHECKING:
    from core.events.apply import Result
    from core.events.consumer import BatchReport
    from core.models import Suppression

REASONS = ("manual", "bounce", "complaint")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = sub.add_parser(
        "events",
        help="SES delivery events: pull from the SQS queue, ingest saved bodies",
        description="Apply SES events (delivery, bounce, complaint, ...) to the email logs "
        "and suppress hard-bounced and complaining addresses.",
    )
    inner = events.add_subparsers(dest="events_command", metavar="{pull,ingest,unmatched,rates}")
    pull = inner.add_parser(
        "pull",
        help="consume SES_EVENTS_QUEUE_URL (Ctrl+C stops cleanly)",
        description="Long-poll the events queue, apply each event, delete it once stored. "
        "--follow (default) runs until Ctrl+C; --once drains what is queued and exits "
        "(for cron).",
    )
    mode = pull.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="drain the queue, then exit")
    mode.add_argument("--follow", action="store_true", help="keep polling (the default)")
    pull.add_argument("--json", action="store_true", help="JSON output (one line per batch)")
    pull.add_argument(
        "--wait",
        type=int,
        choices=range(0, 21),
        metavar="SECONDS",
        help="long-poll wait, 0-20 (default 20; 1 with --once)",
    )
    pull.add_argument(
        "--max", type=whole_number(1, 10**9), metavar="N", help="stop after N messages"
    )
    pull.set_defaults(func=pull_events)

    ingest = inner.add_parser(
        "ingest",
        help="apply SES event bodies saved in files (one body per file)",
        description="Apply bodies saved in files (a dead-letter dump, a support ticket): "
        "an SNS envelope or the SES event itself, same rules as the queue. Each file gets "
        "one line; a file that cannot be read (missing, a symbolic link, not a regular "
        "file, over 1 MiB) is reported and the others still run.",
        epilog="Exit code: 0 every body applied (or kept for a message not logged yet); "
        "3 some were, and some body was set aside or some file failed; 1 none was; "
        "2 bad usage.",
    )
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="read a FILE that is a symbolic link (refused by default)",
    )
    ingest.add_argument("--json", action="store_true", help="machine-readable output")
    ingest.set_defaults(func=ingest_files)

    unmatched = inner.add_parser(
        "unmatched",
        help="list events kept for unknown messages and bodies set aside",
    )
    unmatched.add_argument("--rematch", action="store_true", help="apply those whose log exists")
    unmatched.add_argument("--set-aside", action="store_true", help="only bodies set aside")
    unmatched.add_argument("--limit", type=whole_number(1, 100_000), default=100, metavar="N")
    unmatched.add_argument("--json", action="store_true", help="machine-readable output")
    unmatched.set_defaults(func=list_unmatched)

    rates = inner.add_parser("rates", help="bounce and complaint rates against SES's limits")
    rates.add_argument(
        "--days", type=whole_number(1, 3650), action="append", metavar="N", help="window (7, 30)"
    )
    rates.add_argument("--json", action="store_true", help="machine-readable output")
    rates.set_defaults(func=show_rates)
    events.set_defaults(func=_usage(events))

    sup = sub.add_parser("suppressions", help="list, add and remove suppressed addresses")
    sup_inner = sup.add_subparsers(dest="suppressions_command", metavar="{list,add,remove}")
    listing = sup_inner.add_parser(
        "list",
        help="suppressed addresses, newest first",
        description="QUERY is the console's query line: free text (in the address, note "
        "or message id) and reason: since: until: by: "
        "(`depllc suppressions list 'reason:complaint since:7d'`).",
    )
    listing.add_argument(
        "query", nargs="?", default="", metavar="QUERY", help="e.g. 'reason:complaint since:7d'"
    )
    listing.add_argument("--limit", type=whole_number(1, 100_000), default=500, metavar="N")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument(
        "--raw",
        action="store_true",
        help="on a terminal, the reason as the remote server gave it (else in plain words; "
        "a file or a pipe always gets it raw)",
    )
    listing.set_defaults(func=list_suppressions)
    add = sup_inner.add_parser("add", help="suppress an address (audited)")
    add.add_argument("email")
    add.add_argument("--reason", choices=REASONS, default="manual")
    add.add_argument("--note", help="why (kept with the entry)")
    add.add_argument("--json", action="store_true", help="machine-readable output")
    add.set_defaults(func=add_suppression)
    remove = sup_inner.add_parser("remove", help="lift a suppression (audited)")
    remove.add_argument("email")
    remove.add_argument("--json", action="store_true", help="machine-readable output")
    remove.add_argument("--note", help="why (audited; needed to lift a complaint)")
    remove.set_defaults(func=remove_suppression)
    sup.add_argument(
        "--json", action="store_true", help="machine-readable output (of the default: list)"
    )
    sup.set_defaults(func=list_suppressions, limit=500, query="", raw=False)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def show(_ctx: CommandContext) -> int:
        parser.print_help()
        return 2

    return show


def _queue_url(ctx: CommandContext) -> str:
    from core.errors import ConfigError

    url = ctx.runtime().settings.ses_events_queue_url
    if not url:
        raise ConfigError(
            "SES_EVENTS_QUEUE_URL is not set.",
            "Set it to the SQS queue fed by the configuration set's SNS topic "
            "(`depllc setup` creates one), or try it with --sandbox.",
        )
    return url


def _print_json_line(value: Any) -> None:
    """One JSON document per line (NDJSON), flushed: for `--follow --json` pipes."""
    import json

    from bson import json_util

    document = json.dumps(json.loads(json_util.dumps(value)), ensure_ascii=False)
    sys.stdout.write(outside_text.json_escaped(document) + "\n")
    sys.stdout.flush()


def _local(moment: Any) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


# --- events pull -------------------------------------------------------------


def pull_events(ctx: CommandContext) -> int:
    import threading

    from core.events.consumer import LONG_POLL_SECONDS, EventConsumer
    from core.models import utcnow

    args = ctx.args
    url = _queue_url(ctx)
    runtime = ctx.runtime()
    wait = args.wait if args.wait is not None else (1 if args.once else LONG_POLL_SECONDS)
    consumer = EventConsumer(runtime.aws.sqs, url, runtime.store, wait_seconds=wait)
    stop = threading.Event()

    def on_batch(report: BatchReport) -> None:
        if args.json:
            if not args.once:
                _print_json_line(_batch_json(report, utcnow()))
            return
        if report.received or report.failures:
            print(_batch_line(report), flush=True)
            for detail in _batch_details(report):
                print(f"  {line(detail)}", flush=True)
        elif ctx.interactive:
            ctx.status(f"waiting for events… {consumer.stats.summary()}")

    if not args.json:
        ctx.status(f"polling {url} …")
    try:
        consumer.run(stop, on_batch=on_batch, until_empty=args.once, max_messages=args.max)
    except KeyboardInterrupt:
        stop.set()  # anything not yet deleted is redelivered by SQS: nothing is lost
    ctx.clear_status()
    stats = consumer.stats
    if args.json:
        _print_json_line({"stats": stats.as_dict()})
    else:
        print(f"events: {stats.summary()}")
        if stats.last_error:
            print(f"last error: {line(stats.last_error)}", file=sys.stderr)
    return batch_code(stats.received - stats.failed, stats.failed)


def _batch_line(report: BatchReport) -> str:
    from collections import Counter

    from core.models import utcnow

    counts = Counter(r.outcome.value for r in report.results)
    parts = [f"{report.received} received"]
    parts += [f"{n} {name}" for name, n in sorted(counts.items())]
    if report.left_on_queue:
        parts.append(f"{report.left_on_queue} left on the queue")
    return f"{utcnow().astimezone().strftime('%H:%M:%S')}  " + " · ".join(parts)


def _batch_details(report: BatchReport) -> list[str]:
    from core.events.apply import Outcome

    lines = [
        r.describe()
        for r in report.results
        if r.outcome != Outcome.APPLIED or r.suppressed or r.not_recipients
    ]
    lines += [f"failed: {text}" for text in report.failures]
    return lines


def _batch_json(report: BatchReport, at: Any) -> dict[str, Any]:
    return {
        "at": at.isoformat(),
        "received": report.received,
        "leftOnQueue": report.left_on_queue,
        "results": [_result_json(r) for r in report.results],
        "failures": report.failures,
    }


def _result_json(result: Result) -> dict[str, Any]:
    return {
        "outcome": result.outcome.value,
        "eventId": result.event_id,
        "messageId": result.message_id,
        "type": result.type.value if result.type else None,
        "status": result.status.value if result.status else None,
        "reason": result.reason,
        "suppressed": list(result.suppressed),
        "notRecipients": list(result.not_recipients),
    }


# --- events ingest -----------------------------------------------------------


def ingest_files(ctx: CommandContext) -> int:
    from core.errors import InputError, describe
    from core.events.apply import Outcome, process_body
    from core.events.saved import read_saved_body

    store = ctx.runtime().store
    rows: list[tuple[str, Result | str]] = []  # a Result, or why the file failed
    for name in ctx.args.files:
        try:
            body = read_saved_body(Path(name), follow_symlinks=ctx.args.follow_symlinks)
            rows.append((name, process_body(store, body)))
        except InputError as exc:
            rows.append((name, exc.message))
        except Exception as exc:  # the store failed for this file: say so, go on
            rows.append((name, describe(exc).text))
    if ctx.args.json:
        ctx.print_json(
            [
                {"file": name, **_result_json(r)}
                if not isinstance(r, str)
                else {"file": name, "outcome": "failed", "reason": r}
                for name, r in rows
            ]
        )
    else:
        for name, r in rows:
            what = f"failed: {r}" if isinstance(r, str) else r.describe()
            print(f"{line(name)}: {line(what)}")
    bad = sum(1 for _, r in rows if isinstance(r, str) or r.outcome == Outcome.SET_ASIDE)
    return batch_code(len(rows) - bad, bad)


# --- events unmatched / rates -------------------------------------------------


def list_unmatched(ctx: CommandContext) -> int:
    from core.events.apply import STATE_SET_ASIDE, STATE_UNMATCHED, rematch_unmatched

    store = ctx.runtime().store
    args = ctx.args
    if args.rematch:
        report = rematch_unmatched(store)
        print(
            f"re-matched: {report.applied} applied, {report.duplicates} already there, "
            f"{report.still_unmatched} still unknown",
            file=sys.stderr,
        )
    query = {"state": STATE_SET_ASIDE} if args.set_aside else {}
    docs = list(
        store.unmatched_events.find(query, {"body": 0}).sort("receivedAt", -1).limit(args.limit)
    )
    if args.json:
        ctx.print_json(docs)
        return 0
    if not docs:
        print("nothing kept: every event matched a log")
        return 0
    for doc in docs:
        when = _local(doc.get("receivedAt"))
        if doc.get("state") == STATE_UNMATCHED:
            kind, mid = line(doc.get("type", "?")), line(doc.get("messageId"))
            print(f"{when}  unmatched  {kind:<16} {mid}")
        else:
            print(f"{when}  set aside  {line(doc.get('reason'))}  [{line(doc.get('eventId'))}]")
    return 0


def show_rates(ctx: CommandContext) -> int:
    from core.events.rates import WINDOWS, rolling_rates

    store = ctx.runtime().store
    windows = ctx.args.days or list(WINDOWS)
    rates = [rolling_rates(store, days=d) for d in windows]
    if ctx.args.json:
        ctx.print_json(
            [
                {
                    "days": r.days,
                    "sent": r.sent,
                    "bounced": r.bounced,
                    "complaints": r.complaints,
                    "bounceRate": r.bounce_rate,
                    "complaintRate": r.complaint_rate,
                    "level": r.level.value,
                }
                for r in rates
            ]
        )
        return 0
    for r in rates:
        print(f"{r.describe()}  [{r.level.value}]")
        if r.warning():
            print(f"  warning: {r.warning()}")
    return 0


# --- suppressions ----------------------------------------------------------------


def _plain_why(entry: Suppression) -> str | None:
    """Why a bounce or complaint suppressed the address, in plain words (as the
    Suppressions screen says it), or None for a manual one or an unknown reason."""
    from core.delivery_reasons import explain_suppression

    reason = explain_suppression(entry.reason.value, entry.diagnostic)
    return reason.summary if reason is not None and reason.basis != "unknown" else None


def list_suppressions(ctx: CommandContext) -> int:
    from core import suppressions
    from core.query_line import parse, suppression_filter

    where = suppression_filter(parse(ctx.args.query, "suppressions"))
    entries = suppressions.list_all(ctx.runtime().store, limit=ctx.args.limit, where=where)
    if ctx.args.json:
        ctx.print_json([e.to_mongo() for e in entries])
        return 0
    if not entries:
        print("no suppressed addresses" + (" match" if ctx.args.query.strip() else ""))
        return 0
    emails = [line(e.email) for e in entries]
    terminal = terminal_width()
    # on a terminal each row fits it: below 100 columns the time is shorter and the
    # operator gone; the address gives way (to 20) before the reason gets under 24
    narrow = terminal is not None and terminal < 100
    width = max(len(email) for email in emails)
    if terminal is not None:
        fixed = 2 + 9 + 2 + (11 if narrow else 19 + 2 + 12) + 2
        width = min(width, 40, max(20, terminal - 1 - fixed - 24))
    for email, e in zip(emails, entries, strict=True):
        why = line(e.diagnostic or (f"message {e.messageId}" if e.messageId else ""))
        if terminal and not ctx.args.raw:  # a person reads it: in plain words, as the console
            why = _plain_why(e) or why
        when = e.at.astimezone().strftime("%m-%d %H:%M") if narrow else _local(e.at)
        by = "" if narrow else f"{line(e.by or '-', 12 if terminal else None):<12}  "
        shown = f"{line(email, width):<{width}}  {e.reason.value:<9}  {when}  {by}"
        room = terminal - 1 - len(shown) if terminal else None
        print(shown + line(why, max(room, 10) if room is not None else None))
    # the counts by reason of everything the query selects (not only the rows printed)
    counts = suppressions.count_by_reason(ctx.runtime().store, where)
    more = f" (the newest {len(entries):,} listed)" if sum(counts.values()) > len(entries) else ""
    print(suppressions.counts_text(counts) + more, file=sys.stderr)
    return 0


def add_suppression(ctx: CommandContext) -> int:
    from core.events.suppress import add_by_person
    from core.vocabulary import SuppressionReason

    runtime = ctx.runtime()
    created = add_by_person(
        runtime.store,
        ctx.args.email,
        runtime.operator,
        reason=SuppressionReason(ctx.args.reason),
        note=ctx.args.note,
    )
    email = ctx.args.email.strip().lower()
    if ctx.args.json:
        ctx.print_json({"email": email, "reason": ctx.args.reason, "created": created})
        return 0
    shown = line(email)
    print(f"{shown} suppressed" if created else f"{shown} was already suppressed")
    return 0


def remove_suppression(ctx: CommandContext) -> int:
    from core.events.suppress import remove_by_person

    runtime = ctx.runtime()
    removed = remove_by_person(runtime.store, ctx.args.email, runtime.operator, ctx.args.note)
    if ctx.args.json:
        ctx.print_json({"email": removed.email, "removed": True, "reason": removed.reason.value})
        return 0
    email = line(removed.email)
    print(f"{email} removed from the suppression list (was {removed.reason.value})")
    return 0
