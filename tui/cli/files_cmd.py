"""`depllc files list|upload|download|link|rm|restore|purge|versions|reconcile|tag`:
the files catalogue and transfers from the command line, over core.files. Progress
bars go to stderr on a terminal; piped, only results (and errors) are written."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tui import outside_text
from tui.cli.context import CommandContext, terminal_width, whole_number
from tui.cli.exits import batch_code
from tui.outside_text import line

if TYPE_CHECKING:
    from core.models import FileRecord

T = TypeVar("T")
CATEGORIES = "email, document, avatar, contract, invoice, backup or general"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("files", help="files in S3 and their catalogue")
    inner = parser.add_subparsers(dest="files_command", metavar="ACTION")
    parser.add_argument(
        "--json", action="store_true", help="machine-readable output (of the default: list)"
    )
    parser.set_defaults(func=list_cmd, **_list_defaults())

    p = inner.add_parser(
        "list",
        help="list, search and filter the catalogue",
        description="QUERY is the console's query line: free text (in the name) and "
        "cat: status: client: tag: name: owner: since: until: "
        "(`depllc files list 'client:683d063fe345c182ead5c02a since:30d'`). "
        "Flags given beside it win.",
    )
    _json(p)
    p.add_argument(
        "query",
        nargs="?",
        default="",
        metavar="QUERY",
        help="e.g. 'client:683d063fe345c182ead5c02a tag:q3'",
    )
    p.add_argument("--search", "-s", metavar="TEXT", help="text in the name (literal)")
    p.add_argument("--category", help=CATEGORIES)
    p.add_argument("--status", help="uploading, completed, failed or deleted")
    p.add_argument("--owner", metavar="USER", help="userId of the uploader")
    p.add_argument("--client", metavar="ID", help="clientId")
    p.add_argument("--department", metavar="ID", help="departmentId")
    p.add_argument("--tag", action="append", default=[], help="a tag (repeat: all must match)")
    p.add_argument("--dates", "--since", metavar="RANGE", help="7d, today, 2026-11-01..2026-11-20")
    p.add_argument("--deleted", action="store_true", help="include deleted files")
    p.add_argument("--sort", default="createdAt", help="createdAt, fileName, size or category")
    p.add_argument("--asc", action="store_true", help="ascending (default: descending)")
    p.add_argument("--limit", type=int, default=50, help="rows per page (default 50)")
    p.add_argument("--cursor", help="the next-page cursor a previous list printed")
    p.set_defaults(func=list_cmd)

    p = inner.add_parser("upload", help="upload local files")
    _json(p)
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("--category", default="general", help=CATEGORIES)
    p.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    p.add_argument("--client", metavar="ID", help="clientId")
    p.add_argument("--department", metavar="ID", help="departmentId")
    p.add_argument("--public", action="store_true", help="visible to every operator")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--parallel", type=whole_number(1, 32), default=2, help="files at once (default 2)"
    )
    p.add_argument(
        "--follow-symlinks", action="store_true", help="upload what a symbolic link points to"
    )
    p.set_defaults(func=upload_cmd)

    p = inner.add_parser("download", help="download files into a folder")
    _json(p)
    p.add_argument("refs", nargs="+", metavar="ID", help="file id or key")
    p.add_argument("--to", default=".", metavar="FOLDER", help="target folder (default .)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--overwrite", action="store_true", help="replace an existing file")
    mode.add_argument("--keep-both", action="store_true", help="save as 'name (1).ext'")
    p.add_argument("--version", metavar="VERSION_ID", help="an older version (one file)")
    p.add_argument(
        "--parallel", type=whole_number(1, 32), default=3, help="files at once (default 3)"
    )
    p.set_defaults(func=download_cmd)

    p = inner.add_parser("link", help="a presigned download link, or an upload form")
    _json(p)
    p.add_argument("ref", nargs="?", metavar="ID", help="file id or key")
    p.add_argument("--expires", default=None, help="1h (default), 30m, 7d at most")
    p.add_argument("--inline", action="store_true", help="open in the browser, not save")
    p.add_argument("--upload", metavar="NAME", help="make a presigned POST for NAME instead")
    p.add_argument("--type", dest="content_type", help="content type of the upload")
    p.add_argument("--category", default="general", help=CATEGORIES)
    p.add_argument("--max-size", type=int, default=None, metavar="BYTES")
    p.add_argument("--client", metavar="ID", help="clientId")
    p.set_defaults(func=link_cmd)

    for name, func, help_text in (
        ("rm", rm_cmd, "soft-delete files (restore brings them back)"),
        ("restore", restore_cmd, "restore soft-deleted files"),
    ):
        p = inner.add_parser(name, help=help_text)
        _json(p)
        p.add_argument("refs", nargs="+", metavar="ID")
        p.set_defaults(func=func)

    p = inner.add_parser("purge", help="remove every version from S3 (asks for the name)")
    _json(p)
    p.add_argument("ref", metavar="ID")
    p.add_argument("--confirm", metavar="NAME", help="the file's name, to confirm")
    p.set_defaults(func=purge_cmd)

    p = inner.add_parser("versions", help="list versions; download or restore one")
    _json(p)
    p.add_argument("ref", metavar="ID")
    p.add_argument("--restore", metavar="VERSION_ID", help="make this version current")
    p.set_defaults(func=versions_cmd)

    p = inner.add_parser("reconcile", help="settle stuck uploads; list/adopt orphans")
    _json(p)
    p.add_argument("ref", nargs="?", metavar="ID", help="complete one upload now (HEAD)")
    p.add_argument("--stale-minutes", type=whole_number(1, 525_600), default=60, help="default 60")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--orphans", action="store_true", help="list objects with no record")
    p.add_argument("--adopt", action="append", default=[], metavar="KEY")
    p.set_defaults(func=reconcile_cmd)

    p = inner.add_parser("tag", help="edit tags, category, visibility, client")
    _json(p)
    p.add_argument("ref", metavar="ID")
    p.add_argument("--add", action="append", default=[], metavar="TAG")
    p.add_argument("--remove", action="append", default=[], metavar="TAG")
    p.add_argument("--set", dest="set_tags", metavar="A,B", help="replace all tags")
    p.add_argument("--category", help=CATEGORIES)
    vis = p.add_mutually_exclusive_group()
    vis.add_argument("--public", dest="public", action="store_const", const=True)
    vis.add_argument("--private", dest="public", action="store_const", const=False)
    p.add_argument("--client", metavar="ID", help="clientId ('' clears it)")
    p.set_defaults(func=tag_cmd, public=None)


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _list_defaults() -> dict[str, Any]:
    return {
        "query": "",
        "search": None,
        "category": None,
        "status": None,
        "owner": None,
        "client": None,
        "department": None,
        "tag": [],
        "dates": None,
        "deleted": False,
        "sort": "createdAt",
        "asc": False,
        "limit": 50,
        "cursor": None,
    }


# --- helpers ---------------------------------------------------------------------


def _size(n: int) -> str:
    import humanize

    return str(humanize.naturalsize(n, binary=True))


def _emit_json(ctx: CommandContext, value: Any) -> None:
    import json

    document = json.dumps(value, indent=2, ensure_ascii=False)
    sys.stdout.write(outside_text.json_escaped(document) + "\n")


def _cancellable(ctx: CommandContext, run: Callable[[threading.Event], T]) -> T:
    """Run a transfer in a thread; Ctrl-C, SIGTERM or SIGHUP set the cancel event and
    wait (briefly) for the clean-up: aborted multipart uploads, records marked failed,
    temporary files removed. Then the signal ends the command."""
    from tui.interrupts import in_background

    outcome = in_background(run)
    if outcome.interrupted is not None:
        raise outcome.interrupted
    return outcome.get()


class Bars:
    """Rich progress bars on stderr (one per file, plus the total); nothing when
    stderr is not a terminal."""

    def __init__(self, ctx: CommandContext, names: list[str], sizes: list[int]) -> None:
        self.progress: Any = None
        if not ctx.interactive:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}", justify="left", markup=False),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.tasks = [
            self.progress.add_task(line(name, 40), total=size or None)
            for name, size in zip(names, sizes, strict=True)
        ]
        self.done = [0] * len(names)
        self.total = (
            self.progress.add_task("total", total=sum(sizes) or None) if len(names) > 1 else None
        )
        self.lock = threading.Lock()
        self.progress.start()

    def update(self, index: int, done: int, total: int) -> None:
        if self.progress is None:
            return
        with self.lock:
            self.done[index] = done
            self.progress.update(self.tasks[index], completed=done, total=total)
            if self.total is not None:
                self.progress.update(self.total, completed=sum(self.done))

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _fail_lines(failures: list[tuple[str, BaseException]]) -> int:
    from core.errors import describe

    code = 0
    for name, exc in failures:  # a file's name is outside text
        described = describe(exc)
        sys.stderr.write(f"depllc: {line(name)}: {line(described.text)}\n")
        code = max(code, described.exit_code)
    return code


def _print_records(records: list[FileRecord]) -> None:
    """One line a record: id, status, size, category, owner, upload time, name. On a
    terminal the line fits it: below 100 columns id, status, size and the name only
    (`files list --json` has every field), the name cut last."""
    terminal = terminal_width()
    narrow = terminal is not None and terminal < 100
    for r in records:
        when = r.createdAt.astimezone().strftime("%Y-%m-%d %H:%M")
        details = "" if narrow else f"{r.category.value:<8} {line(r.userId, 12):<12} {when}  "
        head = f"{r.id!s}  {r.status.value:<9} {_size(r.size):>10}  {details}"
        problem = f"  ! unreadable: {line(r.problem)}" if r.problem else ""
        room = terminal - 1 - len(head) - len(problem) if terminal is not None else None
        print(head + line(r.originalName, max(room, 12) if room is not None else None) + problem)


# --- commands --------------------------------------------------------------------


def list_cmd(ctx: CommandContext) -> int:
    from core.files.catalogue import list_files, to_json
    from core.logs.dates import parse_range
    from core.query_line import file_query, parse
    from core.validation import FileQuery

    a = ctx.args
    typed = file_query(parse(a.query, "files"), limit=a.limit)
    dates = parse_range(a.dates) if a.dates else None
    given = {
        "search": a.search,
        "category": a.category,
        "status": a.status,
        "userId": a.owner,
        "clientId": a.client,
        "departmentId": a.department,
        "tags": a.tag or None,
        "startDate": dates.start if dates else None,
        "endDate": dates.end if dates else None,
    }
    query = FileQuery.model_validate(
        {
            **typed.model_dump(),
            **{k: v for k, v in given.items() if v is not None},
            "includeDeleted": a.deleted,
            "sortBy": a.sort,
            "sortOrder": "asc" if a.asc else "desc",
        }
    )
    page = list_files(ctx.runtime(), query, a.cursor)
    if a.json:
        _emit_json(ctx, {"items": [to_json(r) for r in page.items], "nextCursor": page.next_cursor})
        return 0
    _print_records(page.items)
    if page.problems:
        sys.stderr.write(
            f"{len(page.problems)} record(s) could not be read in full (marked !); "
            "the CRM's copy is left as it is\n"
        )
    if page.next_cursor and ctx.interactive:
        sys.stderr.write(f"more: depllc files list --cursor {page.next_cursor}\n")
    return 0


def _parse_meta(items: list[str]) -> dict[str, str]:
    from core.errors import InputError

    meta: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--meta {item!r}: use KEY=VALUE.")
        meta[key.strip()] = value
    return meta


def upload_cmd(ctx: CommandContext) -> int:
    from pathlib import Path

    from core.files.catalogue import to_json
    from core.files.checks import check_local_file
    from core.files.upload import UploadRequest, upload_many
    from core.vocabulary import FileCategory

    a = ctx.args
    try:
        category = FileCategory(a.category)
    except ValueError:
        from core.errors import InputError

        raise InputError(f"Unknown category {a.category!r}.", f"One of: {CATEGORIES}.") from None
    meta = _parse_meta(a.meta)
    runtime = ctx.runtime()
    checked: list[UploadRequest] = []
    failures: list[tuple[str, BaseException]] = []
    sizes: list[int] = []
    for raw in a.paths:  # check every file first: bad input is reported before any upload
        try:
            local = check_local_file(Path(raw), runtime.settings, follow_symlinks=a.follow_symlinks)
        except Exception as exc:
            failures.append((raw, exc))
            continue
        sizes.append(local.size)
        checked.append(
            UploadRequest(
                path=Path(raw),
                category=category,
                tags=a.tag,
                clientId=a.client,
                departmentId=a.department,
                isPublic=a.public,
                metadata=meta,
                follow_symlinks=a.follow_symlinks,
            )
        )
    code = _fail_lines(failures)
    if not checked:
        return code or 2
    bars = Bars(ctx, [r.path.name for r in checked], sizes)
    try:
        outcomes = _cancellable(
            ctx,
            lambda cancel: upload_many(
                runtime, checked, progress=bars.update, cancel=cancel, max_parallel=a.parallel
            ),
        )
    finally:
        bars.stop()
    done = [o.record for o in outcomes if o.record is not None]
    errors = [(str(o.request.path), o.error) for o in outcomes if o.error]
    code = max(code, _fail_lines(errors))
    if a.json:
        _emit_json(ctx, [to_json(r) for r in done])
    else:
        _print_records(done)
    return batch_code(len(done), len(failures) + len(errors), code)


def download_cmd(ctx: CommandContext) -> int:
    from core.errors import InputError
    from core.files.download import Conflict, check_folder, download_file, download_many

    a = ctx.args
    conflict: Conflict = "overwrite" if a.overwrite else "keep-both" if a.keep_both else "refuse"
    runtime = ctx.runtime()
    folder = check_folder(a.to)
    if a.version and len(a.refs) != 1:
        raise InputError("--version works on one file at a time.")
    from core.files.catalogue import get_file

    sizes = []
    for ref in a.refs:
        try:
            sizes.append(get_file(runtime, ref).size)
        except Exception:
            sizes.append(0)
    bars = Bars(ctx, a.refs, sizes)
    try:
        if a.version:
            outcome_results = [
                _cancellable(
                    ctx,
                    lambda cancel: download_file(
                        runtime,
                        a.refs[0],
                        folder,
                        conflict,
                        a.version,
                        lambda d, t: bars.update(0, d, t),
                        cancel,
                    ),
                )
            ]
            failures: list[tuple[str, BaseException]] = []
        else:
            outcomes = _cancellable(
                ctx,
                lambda cancel: download_many(
                    runtime,
                    a.refs,
                    folder,
                    conflict,
                    progress=bars.update,
                    cancel=cancel,
                    max_parallel=a.parallel,
                ),
            )
            outcome_results = [o.result for o in outcomes if o.result is not None]
            failures = [(o.ref, o.error) for o in outcomes if o.error is not None]
    finally:
        bars.stop()
    code = _fail_lines(failures)
    rows: list[dict[str, Any]] = [
        {
            "id": str(r.record.id),
            "path": str(r.path),
            "size": r.size,
            "verified": r.verified,
            "versionId": r.version_id,
            "warning": r.warning,
        }
        for r in outcome_results
    ]
    if a.json:
        _emit_json(ctx, rows)
    else:
        for row in rows:
            print(f"{line(row['path'])}  {_size(row['size'])}  verified: {row['verified']}")
            if row["warning"]:
                sys.stderr.write(f"depllc: warning: {line(row['warning'])}\n")
    return batch_code(len(rows), len(failures), code)


def link_cmd(ctx: CommandContext) -> int:
    from core.errors import InputError
    from core.files.links import (
        DEFAULT_EXPIRY,
        UPLOAD_URL_EXPIRY,
        parse_duration,
        presign_get,
        presign_post,
    )

    a = ctx.args
    runtime = ctx.runtime()
    if a.upload:
        from core.validation import FILE_CONSTANTS, GenerateUploadUrlRequest

        if not a.content_type:
            raise InputError("--upload needs --type (the content type the uploader sends).")
        request = GenerateUploadUrlRequest.model_validate(
            {
                "fileName": a.upload,
                "contentType": a.content_type,
                "category": a.category,
                "maxSizeBytes": a.max_size or FILE_CONSTANTS.DEFAULT_UPLOAD_URL_MAX,
                "clientId": a.client,
            }
        )
        expires = parse_duration(a.expires) if a.expires else UPLOAD_URL_EXPIRY
        post = presign_post(runtime, request, expires)
        value = {
            "id": str(post.record.id),
            "key": post.record.key,
            "url": post.url,
            "fields": post.fields,
            "maxSize": post.max_size,
            "expiresAt": post.expires_at.isoformat(),
        }
        if a.json:
            _emit_json(ctx, value)
        else:
            fields = " ".join(f"-F '{k}={v}'" for k, v in post.fields.items())
            print(f"curl {fields} -F 'file=@{a.upload}' {post.url}")
            sys.stderr.write(
                f"then: depllc files reconcile {post.record.id}  (expires "
                f"{post.expires_at.astimezone():%Y-%m-%d %H:%M})\n"
            )
        return 0
    if not a.ref:
        raise InputError("Give a file id (or --upload NAME for an upload form).")
    expires = parse_duration(a.expires) if a.expires else DEFAULT_EXPIRY
    link = presign_get(runtime, a.ref, expires, inline=a.inline)
    if a.json:
        _emit_json(
            ctx,
            {"id": str(link.record.id), "url": link.url, "expiresAt": link.expires_at.isoformat()},
        )
    else:
        print(link.url)
        if ctx.interactive:
            sys.stderr.write(
                f"expires {link.expires_at.astimezone():%Y-%m-%d %H:%M} "
                f"({line(link.record.originalName)})\n"
            )
    return 0


def _each(ctx: CommandContext, refs: list[str], action: Callable[[str], FileRecord]) -> int:
    from core.files.catalogue import to_json

    done: list[FileRecord] = []
    failures: list[tuple[str, BaseException]] = []
    ctx.runtime()
    for ref in refs:
        try:
            done.append(action(ref))
        except Exception as exc:
            failures.append((ref, exc))
    code = _fail_lines(failures)
    if ctx.args.json:
        _emit_json(ctx, [to_json(r) for r in done])
    else:
        _print_records(done)
    return batch_code(len(done), len(failures), code)


def rm_cmd(ctx: CommandContext) -> int:
    from core.files.lifecycle import soft_delete

    return _each(ctx, ctx.args.refs, lambda ref: soft_delete(ctx.runtime(), ref))


def restore_cmd(ctx: CommandContext) -> int:
    from core.files.lifecycle import restore

    return _each(ctx, ctx.args.refs, lambda ref: restore(ctx.runtime(), ref))


def purge_cmd(ctx: CommandContext) -> int:
    from core.errors import InputError
    from core.files.catalogue import Access, get_file, to_json
    from core.files.lifecycle import purge

    a = ctx.args
    runtime = ctx.runtime()
    confirm = a.confirm
    if confirm is None:
        if not sys.stdin.isatty():
            raise InputError("Purging needs --confirm NAME (the file's name).")
        record = get_file(runtime, a.ref, Access.PURGE)
        sys.stderr.write(
            f"This removes every version of {line(record.originalName)} from S3; "
            "it cannot be undone.\nType the file name to confirm: "
        )
        sys.stderr.flush()
        confirm = sys.stdin.readline().rstrip("\n")
    record, removed = purge(runtime, a.ref, confirm)
    if a.json:
        _emit_json(ctx, {**to_json(record), "versionsRemoved": removed})
    else:
        print(f"purged {line(record.originalName)}: {removed} version(s) removed from S3")
    return 0


def versions_cmd(ctx: CommandContext) -> int:
    from core.files.versions import list_versions, restore_version

    a = ctx.args
    runtime = ctx.runtime()
    if a.restore:
        record = restore_version(runtime, a.ref, a.restore)
        if a.json:
            from core.files.catalogue import to_json

            _emit_json(ctx, to_json(record))
        else:
            print(
                f"{line(record.originalName)}: version "
                f"{line(a.restore)} is current again "
                f"(new version {line(record.s3Info.versionId)})"
            )
        return 0
    record, versions = list_versions(runtime, a.ref)
    if a.json:
        _emit_json(
            ctx,
            [
                {
                    "versionId": v.version_id,
                    "size": v.size,
                    "lastModified": v.last_modified.isoformat(),
                    "etag": v.etag,
                    "isLatest": v.is_latest,
                    "isDeleteMarker": v.is_delete_marker,
                    "isRecorded": v.is_recorded,
                }
                for v in versions
            ],
        )
        return 0
    for v in versions:
        flags = ",".join(
            f
            for f, on in (
                ("latest", v.is_latest),
                ("recorded", v.is_recorded),
                ("delete-marker", v.is_delete_marker),
            )
            if on
        )
        when = v.last_modified.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{line(v.version_id)}  {when}  {_size(v.size):>10}  {flags}")
    return 0


def reconcile_cmd(ctx: CommandContext) -> int:
    from datetime import timedelta

    from core.files.catalogue import to_json
    from core.files.links import complete_upload
    from core.files.reconcile import adopt, find_orphans, settle_uploading

    a = ctx.args
    runtime = ctx.runtime()
    if a.ref:
        record = complete_upload(runtime, a.ref)
        if a.json:
            _emit_json(ctx, to_json(record))
        else:
            print(f"{line(record.originalName)}: {record.status.value} ({_size(record.size)})")
        return 0
    if a.adopt:
        adopted = [adopt(runtime, key) for key in a.adopt]
        if a.json:
            _emit_json(ctx, [to_json(r) for r in adopted])
        else:
            _print_records(adopted)
        return 0
    if a.orphans:
        orphans = find_orphans(runtime)
        if a.json:
            _emit_json(
                ctx,
                [
                    {"key": o.key, "size": o.size, "lastModified": o.last_modified.isoformat()}
                    for o in orphans
                ],
            )
        else:
            for o in orphans:
                print(f"{line(o.key)}  {_size(o.size)}")
            if ctx.interactive:
                sys.stderr.write(
                    f"{len(orphans)} object(s) without a record; adopt with --adopt KEY\n"
                )
        return 0
    settled = settle_uploading(runtime, timedelta(minutes=a.stale_minutes), a.dry_run)
    if a.json:
        _emit_json(ctx, [vars(s) for s in settled])
    else:
        for s in settled:
            print(f"{s.record_id}  {s.outcome:<9}  {line(s.name)}  {line(s.detail)}")
        if ctx.interactive:
            sys.stderr.write(f"{len(settled)} upload(s) checked\n")
    errors = sum(1 for s in settled if s.outcome == "error")
    return batch_code(len(settled) - errors, errors)


def tag_cmd(ctx: CommandContext) -> int:
    from core.files.catalogue import to_json
    from core.files.metadata import update_metadata

    a = ctx.args
    kwargs: dict[str, Any] = {
        "add_tags": a.add,
        "remove_tags": a.remove,
        "category": a.category,
        "is_public": a.public,
    }
    if a.set_tags is not None:
        kwargs["tags"] = [t for t in a.set_tags.split(",") if t.strip()]
    if a.client is not None:
        kwargs["client_id"] = a.client
    record = update_metadata(ctx.runtime(), a.ref, **kwargs)
    if a.json:
        _emit_json(ctx, to_json(record))
    else:
        _print_records([record])
        tags = line(", ".join(record.metadata.tags) or "-")
        client = line(record.clientId or "-")
        print(f"tags: {tags}; public: {record.isPublic}; client: {client}")
    return 0
