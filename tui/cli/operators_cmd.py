"""`depllc operators list|add|remove|whoami`: the admin-managed list that maps an AWS
identity to a role and a CRM user id (core/identity.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.context import CommandContext

if TYPE_CHECKING:
    from core.models import OperatorEntry

ROLE_CHOICES = ("operator", "support", "admin")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "operators",
        help="who is who: AWS identities mapped to a role and a CRM user id",
        description="The operators list (MongoDB `operators`): the AWS caller identity of "
        "each member of staff, their role (operator, support, admin) and CRM user id. Only "
        "an admin changes it; while it is empty, the caller may add themselves as admin.",
    )
    inner = parser.add_subparsers(dest="operators_command", metavar="{list,add,remove,whoami}")

    listing = inner.add_parser("list", help="every entry")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=list_cmd)

    add = inner.add_parser("add", help="add or change an entry (admin; audited)")
    add.add_argument("arn", metavar="ARN", help="as `depllc operators whoami` prints it")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--crm-user-id", metavar="ID", help="the person's user id in the CRM")
    add.add_argument("--name", metavar="NAME", help="a name to show")
    add.add_argument("--json", action="store_true", help="machine-readable output")
    add.set_defaults(func=add_cmd)

    remove = inner.add_parser("remove", help="remove an entry (admin; audited)")
    remove.add_argument("arn", metavar="ARN")
    remove.add_argument("--json", action="store_true", help="machine-readable output")
    remove.set_defaults(func=remove_cmd)

    whoami = inner.add_parser("whoami", help="your identity, role and CRM user id")
    out = whoami.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="machine-readable output")
    out.add_argument("--arn", action="store_true", help="print only the ARN (for `add`)")
    whoami.set_defaults(func=whoami_cmd)
    parser.add_argument(
        "--json", action="store_true", help="machine-readable output (of the default: list)"
    )
    parser.set_defaults(func=list_cmd)


def _row(entry: OperatorEntry) -> dict[str, object]:
    return {
        "arn": entry.arn,
        "name": entry.name,
        "role": entry.role,
        "crmUserId": entry.crmUserId,
        "addedAt": entry.addedAt,
        "addedBy": entry.addedBy,
    }


def list_cmd(ctx: CommandContext) -> int:
    from core.identity import list_operators

    entries = list_operators(ctx.runtime(seed=False).store)
    ctx.clear_status()
    if ctx.args.json:
        ctx.print_json([_row(e) for e in entries])
        return 0
    if not entries:
        print("The operators list is empty: every caller acts as `operator`.")
        print("Start it with `depllc operators add $(depllc operators whoami --arn) --role admin`.")
        return 0
    from tui.outside_text import line

    for e in entries:
        crm, name = line(e.crmUserId or "-"), line(e.name or "-")
        print(f"{e.role:<8}  {crm:<24}  {name:<20}  {line(e.arn)}")
    return 0


def add_cmd(ctx: CommandContext) -> int:
    from core.identity import add_operator

    a = ctx.args
    entry, created = add_operator(
        ctx.runtime(seed=False), a.arn, a.role, crm_user_id=a.crm_user_id, name=a.name
    )
    ctx.clear_status()
    if a.json:
        ctx.print_json({"created": created, **_row(entry)})
        return 0
    crm = f", CRM user {entry.crmUserId}" if entry.crmUserId else ", no CRM user id"
    print(f"{'added' if created else 'changed'}: {entry.arn} as {entry.role}{crm}")
    return 0


def remove_cmd(ctx: CommandContext) -> int:
    from core.identity import remove_operator

    entry = remove_operator(ctx.runtime(seed=False), ctx.args.arn)
    ctx.clear_status()
    if ctx.args.json:
        ctx.print_json({"removed": True, **_row(entry)})
        return 0
    print(f"removed: {entry.arn} (was {entry.role})")
    return 0


def whoami_cmd(ctx: CommandContext) -> int:
    me = ctx.runtime(seed=False).whoami()
    ctx.clear_status()
    if ctx.args.json:
        ctx.print_json(me.to_dict())
        return 0
    if ctx.args.arn:
        if me.arn is None:
            from core.errors import InputError

            raise InputError("The sandbox has no AWS identity; connect to an account first.")
        print(me.arn)
        return 0
    from tui.outside_text import line

    print(f"login:       {line(me.login)}")
    print(f"role:        {me.role}")
    print(f"CRM user id: {line(me.crm_user_id) or '- (records carry no CRM user)'}")
    if me.name:
        print(f"name:        {line(me.name)}")
    print(f"from:        {me.source}")
    return 0
