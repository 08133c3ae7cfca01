"""Files screen: the catalogue with a filter bar, a detail pane with a preview, and a
transfers panel.

Every store or S3 call runs in a thread worker calling one core.files function;
transfers report progress through throttled messages to the transfers panel, and Esc
cancels them (the core aborts the multipart upload or removes the temporary file) while
the UI keeps responding.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import humanize
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Select, Static
from textual.worker import get_current_worker

from tui import outside_text
from tui.palette import ScreenCommands, query_commands
from tui.screens.file_actions import FileActions
from tui.screens.paged_table import PagedRowTable, PagedTableScreen, PageSlice, query_binding
from tui.widgets.row_table import WIDE
from tui.widgets.transfer_panel import TransferPanel

if TYPE_CHECKING:
    from core.files.catalogue import Visibility
    from core.files.preview import Preview
    from core.models import AuditEntry, FileRecord
    from core.runtime import Runtime
    from core.validation import FileQuery

PAGE_SIZE = 100
LOAD_AHEAD = 15
DEBOUNCE_SECONDS = 0.15
CATEGORIES = ("general", "document", "contract", "invoice", "email", "avatar", "backup")
STATUSES = ("completed", "uploading", "failed", "deleted")
STATUS_STYLE = {"completed": "green", "uploading": "yellow", "failed": "red", "deleted": "dim"}
SINCE = (
    ("last 24 hours", "24h"),
    ("today", "today"),
    ("last 7 days", "7d"),
    ("last 30 days", "30d"),
)
# Status beside the name: at 80 columns the ids of Owner and Client are what is cut
COLUMNS = ("Name", "Status", "Category", "Size", "Owner", "Client", "Uploaded", "Downloads")
STATUS = COLUMNS.index("Status")


def file_cells(record: FileRecord, marked: bool = False) -> list[Any]:
    """The table cells of one record: Text made by outside_text (a str cell would be
    read as markup)."""
    status = record.status.value
    name = ("● " if marked else "") + ("! " if record.problem else "") + record.originalName
    uploaded = record.createdAt.astimezone()
    return [
        outside_text.text(name, width=26, style="bold" if marked else ""),
        Text("unreadable", style="bold red")  # a CRM record the console cannot read
        if record.problem
        else Text(status, style=STATUS_STYLE.get(status, "")),
        outside_text.text(record.category.value),
        Text(humanize.naturalsize(record.size, binary=True), justify="right"),
        outside_text.text(record.userId, width=10),
        outside_text.text(record.clientId or "-", width=10),
        Text(
            uploaded.strftime("%m-%d %H:%M")
            if uploaded.year == datetime.now().year
            else uploaded.strftime("%Y-%m-%d")
        ),
        Text(str(record.access.downloadCount), justify="right"),
    ]


class FilesCommands(ScreenCommands):
    """Command palette: the Files screen's actions (the same as its keys)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        if not isinstance(screen, FilesScreen):
            return []
        clients = sorted({r.clientId for r in screen._records.values() if r.clientId})
        queries = [
            *((f"client {c}", f"client:{c}") for c in clients),
            ("uploaded this week", "since:7d"),
            ("stuck or failed uploads", "status:uploading"),
        ]
        return [
            *query_commands("Files", screen.set_query, queries),
            ("Files: upload", "Pick local files to upload (key a)", screen.action_upload),
            (
                "Files: download",
                "Download the selected/marked files (key d)",
                screen.action_download,
            ),
            ("Files: link", "A presigned download link (key l)", screen.action_link),
            ("Files: delete", "Soft-delete the selected file (key x)", screen.action_delete),
            ("Files: undo delete", "Restore the file just deleted (ctrl+z)", screen.action_undo),
            ("Files: restore", "Restore a deleted file (key R)", screen.action_restore),
            ("Files: purge", "Remove every version from S3 (key P)", screen.action_purge),
            (
                "Files: versions",
                "List, download or restore versions (key v)",
                screen.action_versions,
            ),
            ("Files: edit tags", "Tags, category, visibility, client (key t)", screen.action_tags),
            (
                "Files: reconcile stuck uploads",
                "Settle `uploading` records from S3 (ctrl+r)",
                screen.action_reconcile,
            ),
            ("Files: cancel transfers", "Stop every running transfer (Esc)", screen.action_escape),
            ("Files: clear the filters", "Show every file (ctrl+u)", screen.action_clear),
            (
                "Files: clear finished transfers",
                "Empty the transfers panel (key C)",
                screen.action_clear_transfers,
            ),
        ]


class FilesTable(PagedRowTable):
    """The files list: Enter shows or hides the detail pane (a row's details, as
    Enter opens a log's on Logs); under 100 columns the pane is hidden until then."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.toggle_detail", "Detail", key_display="Enter"),
    ]


class FilesScreen(FileActions, PagedTableScreen["FileQuery", str, "FileRecord"]):
    TITLE = "Files"
    PREFIX = "files"
    NOUN = "files"
    COUNTS = True  # the count says how many files the role hides
    DEBOUNCE_SECONDS = DEBOUNCE_SECONDS
    LOAD_AHEAD = LOAD_AHEAD
    COMMANDS: ClassVar[set[Any]] = {FilesCommands}
    QUERY_SCREEN = "files"
    SELECT_KEYS: ClassVar[dict[str, str]] = {
        "files-category": "cat",
        "files-status": "status",
        "files-since": "since",
    }
    DEFAULT_CSS = """
    #files-main {
        height: 1fr;
    }
    #files-table {
        width: 1fr;
        height: 1fr;
    }
    #files-detail {
        width: 44;
        height: 1fr;
        border-left: solid $panel;
        padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("a", "upload", "Upload", id="files.upload"),
        Binding("d", "download", "Download", id="files.download"),
        Binding("l", "link", "Link", id="files.link"),
        Binding("x", "delete", "Delete", id="files.delete"),
        Binding("ctrl+z", "undo", "Undo delete", show=False, id="files.undo"),
        Binding("R", "restore", "Restore", id="files.restore"),
        Binding("P", "purge", "Purge", id="files.purge"),
        Binding("v", "versions", "Versions", id="files.versions"),
        Binding("t", "tags", "Tags", id="files.tags"),
        Binding("space", "mark", "Mark", id="files.mark"),
        query_binding("files", "client:683d063fe345c182ead5c02a cat:invoice since:30d"),
        Binding("escape", "escape", "Cancel transfers", id="files.cancel"),
        Binding("c", "case", "Case", id="files.case"),
        Binding("ctrl+u", "clear", "Clear filters", show=False, id="files.clear"),
        Binding("C", "clear_transfers", "Clear done", show=False, id="files.transfers.clear"),
        Binding("ctrl+l,f5", "reload", "Reload", show=False, id="files.reload"),
        Binding("ctrl+r", "reconcile", "Reconcile", show=False, id="files.reconcile"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._marked: set[str] = set()
        self._preview_timer: Timer | None = None
        self._visibility: Visibility | None = None  # what the role hides, for summary_text
        self._undo: FileRecord | None = None  # the file just deleted (ctrl+z restores it)
        self.previewed: Preview | None = None  # what the detail pane shows
        self.audited: list[AuditEntry] = []  # and the audit entries about that file

    @property
    def _records(self) -> dict[str, FileRecord]:
        """The files shown, by row key (str of the record id), in table order."""
        return self._rows

    # --- layout ----------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="files-filters", classes="filter-bar"):
            yield from self.compose_query_line()
            with Horizontal(id="files-selects", classes="filter-selects"):
                yield Select(
                    [(c, c) for c in CATEGORIES],
                    prompt="(any category)",
                    id="files-category",
                    compact=True,
                )
                yield Select(
                    [(s, s) for s in STATUSES],
                    prompt="(not deleted)",
                    id="files-status",
                    compact=True,
                )
                yield Select(SINCE, prompt="(any time)", id="files-since", compact=True)
        yield Static("Loading…", id="files-summary", classes="summary")
        with Horizontal(id="files-main"):
            table: DataTable[Any] = FilesTable(
                id="files-table", cursor_type="row", zebra_stripes=True
            )
            table.add_columns(*COLUMNS)
            yield table
            with VerticalScroll(id="files-detail"):
                yield Static("Select a file to see its details.", id="files-preview")
                yield Static("", id="files-audit")
        yield TransferPanel(id="files-transfers")

    # --- the paged table's hooks -------------------------------------------------

    def build_query(self) -> FileQuery:
        from core.query_line import file_query

        assert self.parsed is not None
        return file_query(self.parsed, limit=PAGE_SIZE)

    def fetch_page(
        self, runtime: Runtime, query: FileQuery, after: str | None
    ) -> PageSlice[FileRecord, str]:
        from core.files.catalogue import list_files

        page = list_files(runtime, query, after)
        return PageSlice(page.items, page.next_cursor)

    def row_key(self, row: FileRecord) -> str:
        return str(row.id)

    def row_cells(self, row: FileRecord) -> list[Any]:
        return file_cells(row, str(row.id) in self._marked)

    def fetch_count(self, runtime: Runtime, query: FileQuery) -> str:
        from core.files.catalogue import COUNT_CAP, visibility

        seen = visibility(runtime, query)
        self._visibility = seen  # read by summary_text once the count is shown
        return f"{seen.shown:,}" + ("+" if seen.shown >= COUNT_CAP else "")

    def on_resize(self, event: events.Resize) -> None:
        self.update_summary()  # (its long and short forms)

    def summary_text(self) -> str:
        marked = f" · {len(self._marked)} marked" if self._marked else ""
        total = sum(r.size for r in self._records.values())
        size = humanize.naturalsize(total, binary=True)
        seen = self._visibility if self.count_label else None
        said = seen.describe(short=self.app.size.width < WIDE) if seen is not None else ""
        hidden = f" · {said}" if said else ""
        return f"{self.shown_phrase(self.NOUN)}{hidden} · {size}{marked}"

    def first_page_shown(self) -> None:
        self._schedule_preview()

    @on(DataTable.RowHighlighted, "#files-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(0.15, self._start_preview)

    def _start_preview(self) -> None:
        rid = self.selected_key()
        if rid is None:
            self.query_one("#files-preview", Static).update("No file selected.")
            self.query_one("#files-audit", Static).update("")
            return
        record = self._records.get(rid)
        self.load_preview(rid, record.key if record is not None else "")

    @work(thread=True, exclusive=True, group="files-preview", exit_on_error=False)
    def load_preview(self, rid: str, key: str) -> None:
        """The preview of a file and the audit entries about it (by its S3 key, and its
        id)."""
        from core import audit
        from core.files.preview import preview

        runtime = self.runtime
        assert runtime is not None
        entries = audit.for_targets(runtime.store, [key, rid])
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_audit, rid, entries)
        try:
            found = preview(runtime, rid)
        except Exception as exc:
            from core.errors import describe

            text = outside_text.text(
                f"No preview: {describe(exc).text}", style="red", no_wrap=False
            )
            self.app.call_from_thread(self._show_preview_text, rid, text)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_preview, rid, found)

    def _show_audit(self, rid: str, entries: list[AuditEntry]) -> None:
        from tui.screens.audit import entry_lines

        if rid == self.selected_key():
            self.audited = entries
            text = Text("Audit\n", style="bold")
            text.append_text(entry_lines(entries))
            self.query_one("#files-audit", Static).update(text)

    def _show_preview(self, rid: str, found: Preview) -> None:
        from tui.widgets.files_preview import render_preview

        if rid == self.selected_key():
            self.previewed = found
            self.query_one("#files-preview", Static).update(render_preview(found))

    def _show_preview_text(self, rid: str, text: Text) -> None:
        if rid == self.selected_key():
            self.query_one("#files-preview", Static).update(text)

    # --- selection -------------------------------------------------------------

    def selected_record(self) -> FileRecord | None:
        rid = self.selected_key()
        record = self._records.get(rid) if rid else None
        if record is None:
            self.notify("Select a file first.", severity="warning")
        return record

    def action_case(self) -> None:
        """The case view of the file's client (or, with none, of its uploader)."""
        record = self.selected_record()
        if record is None:
            return
        from tui.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(record.clientId or record.userId))

    @property
    def detail_shown(self) -> bool:
        return self.query_one("#files-detail").display

    def action_toggle_detail(self) -> None:
        """Show the detail pane (preview, versions, audit) or hide it; at 80 columns it
        shares the width with the table, which keeps the cursor."""
        shown = self.detail_shown
        self.set_class(not shown, "-detail-on")
        self.set_class(shown, "-detail-off")
        if not shown:
            self._schedule_preview()

    def action_mark(self) -> None:
        rid = self.selected_key()
        if rid is None or rid not in self._records:
            return
        self._marked.symmetric_difference_update({rid})
        self.replace_rows([self._records[rid]])
        table = self.table
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self.update_summary()

    # --- transfers (tui/screens/file_actions.py) ---------------------------------

    def action_escape(self) -> None:
        if not self.cancel_transfers():
            self.action_focus_table()

    def action_clear_transfers(self) -> None:
        self.query_one(TransferPanel).clear_finished()

    def action_upload(self) -> None:
        self.ask_upload()

    def transfers_done(self, text: str) -> None:
        self.apply_filters()

    def _targets(self) -> list[FileRecord]:
        if self._marked:
            return [self._records[r] for r in self._marked if r in self._records]
        record = self.selected_record()
        return [record] if record else []

    def action_download(self) -> None:
        self.ask_download(self._targets())

    # --- actions on one file ---------------------------------------------------

    @work(thread=True, group="files-action", exit_on_error=False)
    def run_core(self, label: str, call: Callable[[], Any]) -> None:
        """Run one core call; report its result; reload the table."""
        result = call()
        text = f"{label}: {result or 'nothing to do'}" if isinstance(result, str) else label
        self.app.call_from_thread(self._action_done, text)

    def _action_done(self, text: str) -> None:
        self.notify(text, timeout=6)
        self.apply_filters()

    def _file_facts(self, record: FileRecord) -> list[tuple[str, object]]:
        return [
            ("File", record.originalName),
            ("Key", record.key),
            ("Owner", record.userId),
            ("Client", record.clientId or "-"),
            ("Size", humanize.naturalsize(record.size, binary=True)),
        ]

    def action_delete(self) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed

        record = self.selected_record()
        if record is None or self.runtime is None:
            return
        if record.status.value == "deleted":
            self.notify(f"{record.originalName} is already deleted (R restores it).")
            return

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.delete_file(record)

        self.app.push_screen(
            ConfirmAction(
                "Delete this file?",
                self._file_facts(record),
                "It is marked deleted and leaves the list; its bytes stay in S3, so R or "
                "ctrl+z restores it (P purges it for good).",
                yes="Delete",
            ),
            answered,
        )

    @work(thread=True, group="files-action", exit_on_error=False)
    def delete_file(self, record: FileRecord) -> None:
        from core.files.lifecycle import soft_delete

        runtime = self.runtime
        assert runtime is not None
        deleted = soft_delete(runtime, str(record.id))
        self.app.call_from_thread(self._deleted, deleted)

    def _deleted(self, record: FileRecord) -> None:
        """The row stays where it was, marked deleted, and the cursor with it: R (or
        ctrl+z) acts on this very file."""
        self._undo = record
        self.replace_rows([record])
        self.notify(f"{record.originalName} deleted · ctrl+z undoes", title="Deleted", timeout=10)

    def action_undo(self) -> None:
        record = self._undo
        if record is None:
            self.notify("Nothing to undo.")
            return
        self._undo = None
        self.restore_file(record)

    def action_restore(self) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed

        record = self.selected_record()
        if record is None or self.runtime is None:
            return
        if record.status.value != "deleted":
            self.notify(f"{record.originalName} is not deleted.")
            return

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.restore_file(record)

        self.app.push_screen(
            ConfirmAction(
                "Restore this file?",
                self._file_facts(record),
                "It is listed, downloadable and shareable again.",
                yes="Restore",
            ),
            answered,
        )

    @work(thread=True, group="files-action", exit_on_error=False)
    def restore_file(self, record: FileRecord) -> None:
        from core.files.lifecycle import restore

        runtime = self.runtime
        assert runtime is not None
        restored = restore(runtime, str(record.id))
        self.app.call_from_thread(self._restored, restored)

    def _restored(self, record: FileRecord) -> None:
        if self._undo is not None and self._undo.id == record.id:
            self._undo = None
        self.replace_rows([record])
        self.notify(f"{record.originalName} restored", title="Restored", timeout=6)

    def action_purge(self) -> None:
        from core.errors import AccessDeniedError
        from core.files.catalogue import Access, check_access
        from tui.modals.confirm import Ask, ConfirmAction, Confirmed

        record = self.selected_record()
        runtime = self.runtime
        if record is None or runtime is None:
            return
        try:  # asked before the name is typed, not after
            check_access(runtime, record, Access.PURGE, record.id)
        except AccessDeniedError as exc:
            self.notify(str(exc), severity="error")
            return

        def answered(answer: Confirmed | None) -> None:
            from core.files.lifecycle import purge

            if answer is None:
                return
            self.run_core(
                f"Purged {record.originalName}: every version removed from S3",
                lambda: purge(runtime, str(record.id), answer.text),
            )

        self.app.push_screen(
            ConfirmAction(
                "Purge this file?",
                self._file_facts(record),
                "Every version of the object is removed from S3. This cannot be undone.",
                yes="Purge",
                ask=Ask(
                    "Type the file's name to confirm:",
                    placeholder=record.originalName,
                    must_equal=record.originalName,
                ),
            ),
            answered,
        )

    def action_link(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.ask_link(record)

    def action_versions(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.load_versions(str(record.id))

    @work(thread=True, group="files-action", exit_on_error=False)
    def load_versions(self, rid: str) -> None:
        from core.files.versions import list_versions

        runtime = self.runtime
        assert runtime is not None
        record, versions = list_versions(runtime, rid)
        self.app.call_from_thread(self._show_versions, record, versions)

    def _show_versions(self, record: FileRecord, versions: list[Any]) -> None:
        from tui.modals.confirm import ConfirmAction, Confirmed
        from tui.modals.files_download import FilesDownloadDialog
        from tui.modals.files_versions import FilesVersionsDialog

        runtime = self.runtime
        assert runtime is not None

        def picked(choice: tuple[str, str] | None) -> None:
            from core.files.versions import restore_version

            if choice is None:
                return
            what, vid = choice
            if what == "restore":

                def restore_answered(answer: Confirmed | None) -> None:
                    if answer is not None:
                        self.run_core(
                            f"Version {vid[:12]}… of {record.originalName} is current again",
                            lambda: restore_version(runtime, str(record.id), vid),
                        )

                self.app.push_screen(
                    ConfirmAction(
                        "Make this version current?",
                        [*self._file_facts(record), ("Version", vid)],
                        "A copy of this version becomes the file's current content "
                        "(the versions after it are kept).",
                        yes="Make current",
                    ),
                    restore_answered,
                )
            else:
                self.app.push_screen(
                    FilesDownloadDialog([record.originalName], self._last_folder),
                    lambda plan: self.start_download([record], plan, vid),
                )

        self.app.push_screen(FilesVersionsDialog(record.originalName, versions), picked)

    def action_reconcile(self) -> None:
        from core.files.reconcile import settle_uploading
        from tui.modals.confirm import ConfirmAction, Confirmed

        runtime = self.runtime
        if runtime is None:
            return

        def settle() -> Any:
            settled = settle_uploading(runtime)
            counts: dict[str, int] = {}
            for item in settled:
                counts[item.outcome] = counts.get(item.outcome, 0) + 1
            return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))

        def answered(answer: Confirmed | None) -> None:
            if answer is not None:
                self.run_core("Reconciled", settle)

        self.app.push_screen(
            ConfirmAction(
                "Reconcile stuck uploads?",
                [("Records", "every file still `uploading` after an hour")],
                "Each is completed from what S3 holds, or marked failed when its bytes "
                "never arrived.",
                yes="Reconcile",
            ),
            answered,
        )

    def action_clear(self) -> None:
        self.set_query("")

    def action_tags(self) -> None:
        """Tags, category and client of the marked files (or the selected one)."""
        from tui.modals.files_tags import FilesTagsDialog

        targets = self._targets()
        runtime = self.runtime
        if not targets or runtime is None:
            return

        def edited(changes: dict[str, Any] | None) -> None:
            from core.files.metadata import update_metadata

            if changes is None:
                return
            label = targets[0].originalName if len(targets) == 1 else f"{len(targets)} files"
            self.run_core(
                f"Saved {label}",
                lambda: [update_metadata(runtime, str(r.id), **changes) for r in targets],
            )

        if len(targets) > 1:
            dialog = FilesTagsDialog([r.originalName for r in targets])
        else:
            record = targets[0]
            dialog = FilesTagsDialog(
                [record.originalName],
                record.metadata.tags,
                record.category.value,
                record.isPublic,
                record.clientId,
            )
        self.app.push_screen(dialog, edited)
