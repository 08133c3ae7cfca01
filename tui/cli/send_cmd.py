"""`depllc send`, `depllc send-bulk` and `depllc templates`: email from the command
line over the same core as the Compose screen."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui import outside_text
from tui.cli.context import CommandContext
from tui.cli.exits import batch_code
from tui.outside_text import line

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from core.mail.bulk import BulkResult, DoneRow
    from core.mail.send import Prepared, SendResult

CATEGORIES = ("auth", "notification", "marketing", "system", "client-portal")
PRIORITIES = ("low", "normal", "high", "urgent")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = sub.add_parser(
        "send",
        help="send one email (Markdown, text, HTML or an SES template), with attachments",
        description="Send an email through SES and log it. Bodies are read from FILE "
        "('-' for standard input). More than 50 recipients go as several messages, "
        "each with its own log.",
    )
    send.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="ADDR",
        required=True,
        help="recipient (repeat, or separate with commas)",
    )
    send.add_argument("--cc", action="append", default=[], metavar="ADDR")
    send.add_argument("--bcc", action="append", default=[], metavar="ADDR")
    send.add_argument("--subject", default=None, help="1-200 characters, one line")
    body = send.add_mutually_exclusive_group(required=True)
    body.add_argument("--text", metavar="FILE", help="plain-text body")
    body.add_argument("--html", metavar="FILE", help="HTML body (a text part is derived)")
    body.add_argument("--markdown", metavar="FILE", help="Markdown body (sent as text + HTML)")
    body.add_argument("--template", metavar="NAME", help="SES template (see `depllc templates`)")
    send.add_argument("--data", metavar="JSON", help="template data: JSON text or @FILE")
    send.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="PATH",
        help="attach a local file (repeatable)",
    )
    send.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="an --attach path that is a symbolic link: attach what it points to",
    )
    send.add_argument(
        "--attach-stored",
        action="append",
        default=[],
        metavar="FILE_ID",
        help="attach a stored file by its id (repeatable)",
    )
    send.add_argument("--category", choices=CATEGORIES, default="notification")
    send.add_argument("--priority", choices=PRIORITIES, default="normal")
    send.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    send.add_argument("--reply-to", metavar="ADDR")
    send.add_argument("--client-id", metavar="ID")
    send.add_argument(
        "--allow-suppressed",
        action="store_true",
        help="send to manually suppressed addresses (never bounces/complaints)",
    )
    send.add_argument(
        "--dry-run", action="store_true", help="check and show what would be sent; send nothing"
    )
    send.add_argument("--json", action="store_true", help="print log ids and SES MessageIds")
    send.set_defaults(func=cmd_send)

    again = sub.add_parser(
        "resend",
        help="send a logged message again (same content and attachments)",
        description="Resend the message of LOG_ID (a log id or SES MessageId): to the "
        "same recipients, to others (--to, replaces to/cc/bcc) or to more (--add). The new "
        "log's customData.resendOf names the original, which lists its resends.",
    )
    again.add_argument("log", metavar="LOG_ID", help="log id or SES MessageId")
    again.add_argument(
        "--to", action="append", default=[], metavar="ADDR", help="send to ADDR instead"
    )
    again.add_argument(
        "--add", action="append", default=[], metavar="ADDR", help="send to ADDR as well"
    )
    again.add_argument(
        "--allow-suppressed",
        action="store_true",
        help="send to manually suppressed addresses (never bounces/complaints)",
    )
    again.add_argument("--yes", "-y", action="store_true", help="send without asking")
    again.add_argument("--json", action="store_true", help="print log ids and SES MessageIds")
    again.set_defaults(func=cmd_resend)

    bulk = sub.add_parser(
        "send-bulk",
        help="send one SES template to every row of a CSV file",
        description="The CSV has an `email` column and a column per template variable. "
        "Bad rows are listed by row number and nothing is sent unless --skip-bad-rows.",
    )
    bulk.add_argument("--template", metavar="NAME", required=True)
    bulk.add_argument("--csv", metavar="FILE", required=True)
    bulk.add_argument("--category", choices=CATEGORIES, default="notification")
    bulk.add_argument("--priority", choices=PRIORITIES, default="normal")
    bulk.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    bulk.add_argument("--skip-bad-rows", action="store_true", help="send the good rows")
    bulk.add_argument("--dry-run", action="store_true", help="check the CSV; send nothing")
    bulk.add_argument("--json", action="store_true", help="print log ids and SES MessageIds")
    bulk.set_defaults(func=cmd_send_bulk)

    templates = sub.add_parser("templates", help="list, show and render SES templates")
    templates.add_argument("--json", action="store_true")
    inner = templates.add_subparsers(dest="templates_command", metavar="{list,show,render}")
    listing = inner.add_parser("list", help="list templates (the default)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_templates_list)
    show = inner.add_parser("show", help="show a template and the variables it needs")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_templates_show)
    render = inner.add_parser("render", help="render a template with data (TestRenderTemplate)")
    render.add_argument("name")
    render.add_argument("--data", metavar="JSON", default="{}", help="JSON text or @FILE")
    render.add_argument("--json", action="store_true")
    render.set_defaults(func=cmd_templates_render)
    templates.set_defaults(func=cmd_templates_list)


# --- helpers ---------------------------------------------------------------------


def _read(path: str, what: str) -> str:
    from core.validation import read_text_file

    if path == "-":
        return sys.stdin.read()
    return read_text_file(path, what)


def _data(value: str | None) -> dict[str, Any]:
    from core.mail.templates import parse_data

    if value and value.startswith("@"):
        value = _read(value[1:], "Template data")
    return parse_data(value)


def _tags(values: list[str]) -> dict[str, str] | None:
    from core.errors import InputError

    tags: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--tag {item!r} is not KEY=VALUE.")
        tags[key.strip()] = value.strip()
    return tags or None


def _addresses(values: list[str]) -> list[str]:
    import re

    return [a for v in values for a in re.split(r"[,;\s]+", v) if a]


def _money(value: float) -> str:
    return f"${value:.4f}"


def _size(value: int) -> str:
    import humanize

    return str(humanize.naturalsize(value, binary=True))


def build_request(args: argparse.Namespace) -> Any:
    """The SendEmailRequest for the flags (pydantic errors become one line, exit 2)."""
    from core.errors import InputError
    from core.validation import SendEmailRequest

    fields: dict[str, Any] = {
        "to": _addresses(args.to),
        "cc": _addresses(args.cc),
        "bcc": _addresses(args.bcc),
        "category": args.category,
        "priority": args.priority,
        "tags": _tags(args.tag),
        "clientId": args.client_id,
        "replyTo": args.reply_to,
        "attachments": [{"path": p, "followSymlinks": args.follow_symlinks} for p in args.attach]
        + [{"fileId": f} for f in args.attach_stored],
    }
    if args.template:
        fields["templateId"] = args.template
        fields["templateData"] = _data(args.data)
        fields["subject"] = args.subject or args.template  # the template's subject wins
    else:
        if args.data:
            raise InputError("--data goes with --template.")
        if not args.subject:
            raise InputError("--subject is required (1-200 characters, one line).")
        fields["subject"] = args.subject
        for flag, key in (
            ("text", "textContent"),
            ("html", "htmlContent"),
            ("markdown", "markdownContent"),
        ):
            path = getattr(args, flag)
            if path:
                content = _read(path, "Body")
                if not content.strip():
                    raise InputError(f"The body file {path} is empty.", "Write something first.")
                fields[key] = content
    return SendEmailRequest.model_validate(fields)


def print_send_result(ctx: CommandContext, result: SendResult) -> None:
    if ctx.args.json:
        ctx.print_json(result.as_json())
        return
    for o in result.outcomes:
        if o.status == "sent":
            shown = f"sent     log {o.log_id}  SES {o.message_id}  {len(o.recipients)} recipient(s)"
        elif o.status == "unknown":
            shown = f"UNKNOWN  log {o.log_id}  {line(o.error)}"
        else:
            shown = f"failed   log {o.log_id}  {line(o.error)}"
        print(shown)
    if any(o.status == "sent" for o in result.outcomes):  # nothing accepted, nothing charged
        print(f"size {_size(result.size)} · cost {_money(result.cost)}")
    for warning in result.warnings:
        sys.stderr.write(f"depllc: warning: {line(warning)}\n")


# --- commands --------------------------------------------------------------------


def cmd_send(ctx: CommandContext) -> int:
    from core.mail.send import deliver, prepare

    request = build_request(ctx.args)
    runtime = ctx.runtime()
    ctx.status("checking…")
    prepared = prepare(runtime, request, allow_suppressed=ctx.args.allow_suppressed)
    ctx.clear_status()
    if ctx.args.dry_run:
        summary = {
            "dryRun": True,
            "recipients": prepared.recipients,
            "messages": len(prepared.parts),
            "mode": prepared.mode,
            "subject": prepared.subject,
            "size": prepared.size,
            "cost": prepared.cost,
            "attachments": [a.filename for a in prepared.attachments],
        }
        if ctx.args.json:
            ctx.print_json(summary)
        else:
            print(
                f"would send {len(prepared.parts)} message(s) to {len(prepared.recipients)} "
                f"recipient(s): {line(repr(prepared.subject))}, "
                f"{_size(prepared.size)}, "
                f"{_money(prepared.cost)}"
            )
        return 0
    ctx.status(f"sending to {len(prepared.recipients)} recipient(s)…")
    return _deliver(ctx, prepared, lambda cancel: deliver(runtime, prepared, cancel=cancel))


def _deliver(
    ctx: CommandContext, prepared: Prepared, run: Callable[[threading.Event], SendResult]
) -> int:
    """Send on a helper thread that SIGINT, SIGTERM and SIGHUP stop (tui/interrupts.py):
    the part in flight is recorded, or left "outcome unknown" past the grace period;
    the parts after it are `failed`, interrupted. Prints the result either way."""
    from core.mail.send import abandon_delivery
    from tui.interrupts import in_background

    outcome = in_background(run)
    ctx.clear_status()
    if not outcome.finished:
        for said in abandon_delivery(ctx.runtime(), prepared):
            sys.stderr.write(line(f"depllc: {said}") + "\n")
    if outcome.value is not None:
        print_send_result(ctx, outcome.value)
    if outcome.interrupted is not None:
        raise outcome.interrupted
    result = outcome.get()
    return 0 if result.ok else 1


def cmd_resend(ctx: CommandContext) -> int:
    from core.errors import InputError
    from core.logs.detail import find_log
    from core.mail.resend import deliver_resend, prepare_resend

    args = ctx.args
    runtime = ctx.runtime()
    log_id = str(find_log(runtime.store, args.log)["_id"])
    ctx.status("checking…")
    prepared = prepare_resend(
        runtime,
        log_id,
        args.to or None,
        add=args.add or None,
        allow_suppressed=args.allow_suppressed,
    )
    ctx.clear_status()
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(
                "resend sends email and there is no terminal to ask.", "Pass --yes to send."
            )

        question = (
            f"Resend {prepared.subject!r} to {', '.join(prepared.recipients)} "
            f"({_size(prepared.size)}, {_money(prepared.cost)})? [y/N] "
        )
        if input(line(question)).strip().lower() not in {"y", "yes"}:
            print("Nothing was sent.")
            return 1
    ctx.status(f"sending to {len(prepared.recipients)} recipient(s)…")
    return _deliver(ctx, prepared, lambda cancel: deliver_resend(runtime, prepared, cancel=cancel))


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def print_bulk_result(
    ctx: CommandContext, result: BulkResult, already: list[DoneRow] | None = None
) -> None:

    from core.mail.bulk import row_spans

    already = already or []
    if ctx.args.json:
        ctx.print_json(
            {
                **result.as_json(),
                "alreadySent": [
                    {"row": d.row, "email": d.email, "status": d.status, "logId": d.log_id}
                    for d in already
                ],
            }
        )
        return
    print(
        f"sent {result.count('sent')}, failed {result.count('failed')}, unknown "
        f"{result.count('unknown')}, not attempted {result.not_attempted} "
        f"in {result.seconds:.1f} s"
        + (f" ({len(already)} row(s) sent by an earlier run skipped)" if already else "")
    )
    for d in result.destinations:
        if d.status != "sent":
            print(line(f"row {d.row}  {d.email}  {d.status}  log {d.log_id}  {d.error or ''}"))
    if result.stopped:
        sys.stderr.write(line(f"depllc: stopped: {result.stopped}") + "\n")
    if result.not_attempted:
        sent = result.count("sent") + len(already)
        sys.stderr.write(
            f"depllc: sent {sent}, not sent {result.not_attempted} (rows "
            f"{row_spans(result.not_sent_rows)}). Run the same command with the same CSV to "
            "send the rest: rows already sent are skipped.\n"
        )
    if result.journaled:
        sys.stderr.write(
            f"depllc: warning: {result.journaled} log update(s) are in the local journal "
            "(MongoDB was unreachable); run `depllc journal replay`.\n"
        )


def cmd_send_bulk(ctx: CommandContext) -> int:
    from core.mail import bulk
    from core.vocabulary import EmailCategory, EmailPriority
    from tui.interrupts import in_background

    args = ctx.args
    tags = _tags(args.tag)
    runtime = ctx.runtime()
    ctx.status("checking the CSV…")
    plan = bulk.plan(
        runtime,
        args.template,
        args.csv,
        skip_bad_rows=args.skip_bad_rows,
        category=EmailCategory(args.category),
        priority=EmailPriority(args.priority),
        tags=tags,
    )
    ctx.clear_status()
    for err in plan.skipped:  # a CSV row from outside, quoted
        sys.stderr.write(f"depllc: skipped {line(err)}\n")
    if args.dry_run:
        summary = {
            "dryRun": True,
            "template": plan.template.name,
            "rows": len(plan.rows),
            "skipped": [str(e) for e in plan.skipped],
            "alreadySent": [d.row for d in plan.already],
            "cost": plan.cost,
            "rate": plan.quota.rate,
            "seconds": round(plan.seconds, 1),
            "remaining24h": None if plan.quota.unlimited else plan.quota.remaining_24h,
        }
        if args.json:
            ctx.print_json(summary)
        else:
            print(
                f"would send {plan.template.name!r} to {len(plan.rows)} recipient(s) "
                f"({len(plan.skipped)} skipped, {len(plan.already)} sent by an earlier run) "
                f"at {plan.quota.rate:g}/s, about "
                f"{plan.seconds:.0f} s, {_money(plan.cost)}"
            )
        return 0

    if not plan.rows:
        print(
            f"nothing to send: all {len(plan.already)} row(s) were sent by an earlier run "
            "of this CSV."
        )
        return 0

    def progress(done: int, total: int) -> None:
        ctx.status(f"sending {_bar(done, total)}")

    progress(0, len(plan.rows))
    sender = bulk.BulkSend(runtime, plan)
    outcome = in_background(lambda cancel: sender.run(progress=progress, cancel=cancel))
    result = outcome.get() if outcome.finished else sender.abandon()
    ctx.clear_status()
    print_bulk_result(ctx, result, plan.already)
    if outcome.interrupted is not None:
        raise outcome.interrupted
    sent = result.count("sent")  # the rows skipped as invalid are not done either
    not_done = len(result.destinations) - sent + result.not_attempted + len(plan.skipped)
    return batch_code(sent, not_done)


def cmd_templates_list(ctx: CommandContext) -> int:
    from core.mail.templates import get_template, list_templates

    runtime = ctx.runtime()
    rows = list_templates(runtime)
    if getattr(ctx.args, "json", False):
        ctx.print_json(
            [{**r, "variables": get_template(runtime, str(r["name"])).variables} for r in rows]
        )
        return 0
    if not rows:
        print("no templates")
    for r in rows:
        variables = get_template(runtime, str(r["name"])).variables
        print(f"{line(r['name']):<32} {line(', '.join(variables))}")
    return 0


def cmd_templates_show(ctx: CommandContext) -> int:
    from core.mail.templates import get_template

    t = get_template(ctx.runtime(), ctx.args.name)
    if ctx.args.json:
        ctx.print_json(
            {
                "name": t.name,
                "subject": t.subject,
                "text": t.text,
                "html": t.html,
                "variables": t.variables,
            }
        )
        return 0
    print(f"name:      {line(t.name)}\nsubject:   {line(t.subject)}")
    print(f"variables: {line(', '.join(t.variables))}\n\n--- text ---")
    outside_text.write(t.text or "(none)")
    print("--- html ---")
    outside_text.write(t.html or "(none)")
    return 0


def cmd_templates_render(ctx: CommandContext) -> int:
    from core.mail.templates import render

    rendered = render(ctx.runtime(), ctx.args.name, _data(ctx.args.data))
    if ctx.args.json:
        ctx.print_json({"subject": rendered.subject, "text": rendered.text, "html": rendered.html})
        return 0
    print(f"subject: {line(rendered.subject)}\n")
    outside_text.write(rendered.text or "")
    if rendered.html:
        print("--- html ---")
        outside_text.write(rendered.html)
    return 0
