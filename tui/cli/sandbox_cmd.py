"""`depllc sandbox up | status | down`: a sandbox that lasts between commands."""

from __future__ import annotations

import argparse

from tui.cli.context import CommandContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sandbox",
        help="a sandbox that lasts between commands (up, status, down)",
        description="`up` starts the local AWS server in the background and keeps the store "
        "in the state folder: while it is up, `--sandbox` commands and the console share "
        "it (`depllc --sandbox send ...` then `depllc --sandbox logs` shows the mail). "
        "`down` stops it and removes its store.",
    )
    inner = parser.add_subparsers(dest="sandbox_command", metavar="{up,status,down}")
    for name, func, text in (
        ("up", up_cmd, "start it (provisioned and seeded once), or say where it runs"),
        ("status", status_cmd, "up or down, where, and the size of its store"),
        ("down", down_cmd, "stop it and remove its store"),
    ):
        p = inner.add_parser(name, help=text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
    parser.add_argument(
        "--json", action="store_true", help="machine-readable output (of the default: status)"
    )
    parser.set_defaults(func=status_cmd)


def up_cmd(ctx: CommandContext) -> int:
    from core.sandbox_lasting import up

    progress = ctx.status if ctx.interactive else None
    info, started = up(ctx.settings, progress=progress)
    ctx.clear_status()
    if ctx.args.json:
        ctx.print_json({"started": started, "endpoint": info.endpoint_url, "pid": info.pid})
        return 0
    verb = "started" if started else "already up"
    print(f"sandbox {verb}: {info.endpoint_url} (pid {info.pid})")
    print("`depllc --sandbox ...` and the console use it until `depllc sandbox down`.")
    return 0


def status_cmd(ctx: CommandContext) -> int:
    from core.sandbox_lasting import status

    state = status()
    if ctx.args.json:
        ctx.print_json(state)
        return 0
    if state["up"]:
        print(f"up: {state['endpoint']} (pid {state['pid']}), store {state['store_bytes']:,} bytes")
    else:
        print("down: each `--sandbox` command starts a fresh sandbox (`depllc sandbox up`)")
    print(f"folder: {state['folder']}")
    return 0


def down_cmd(ctx: CommandContext) -> int:
    from core.sandbox_lasting import down

    stopped = down()
    if ctx.args.json:
        ctx.print_json({"stopped": stopped is not None})
        return 0
    print("sandbox stopped, store removed" if stopped else "no sandbox was up")
    return 0
