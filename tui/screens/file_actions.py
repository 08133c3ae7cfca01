"""Upload, download and link, the same on every screen that offers them (Files, the
case view): the Files dialogs, transfers with progress in a TransferPanel (Esc cancels
them), and the link's expiry then the link itself.

A screen mixing this in composes a `TransferPanel` and overrides `transfers_done` to
reload what it shows once a batch ended.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.screen import Screen

from tui.widgets.transfer_panel import TransferFinished, TransferPanel, TransferUpdate

if TYPE_CHECKING:
    from core.models import FileRecord
    from core.runtime import Runtime
    from tui.app import DepllcApp
    from tui.modals.files_download import DownloadPlan
    from tui.modals.files_upload import UploadPlan

PROGRESS_EVERY = 0.1  # seconds between progress messages per transfer


def transfer_said(verb: str, names: list[str], outcomes: Sequence[Any]) -> list[str]:
    """What a batch of transfers says when a signal ends the console: each file done,
    or why not (a cancelled upload's record is failed and its parts removed; a
    cancelled download leaves no file)."""
    from core.errors import describe

    return [
        f"{verb} {name}: " + ("done" if outcome.ok else describe(outcome.error).text)
        for name, outcome in zip(names, outcomes, strict=True)
    ]


class FileActions(Screen[None]):
    """Mixed into a screen: `ask_upload`, `ask_download`, `ask_link`, `cancel_transfers`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cancels: list[threading.Event] = []
        self._ids = itertools.count(1)
        self._last_folder: Path | None = None
        self._last_pick: Path | None = None
        self.finished_batches = 0  # for tests: transfer batches fully done

    @property
    def depllc_app(self) -> DepllcApp:
        from tui.app import DepllcApp

        assert isinstance(self.app, DepllcApp)
        return self.app

    @property
    def files_runtime(self) -> Runtime | None:
        return self.depllc_app.runtime

    def transfers_done(self, text: str) -> None:
        """Override: a batch of transfers ended (`text` says how it went); reload."""

    # --- progress ----------------------------------------------------------------

    def _progress_poster(self, tid: str) -> Callable[[int, int], None]:
        """A thread-safe progress callback posting at most every PROGRESS_EVERY."""
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or done >= total:
                last[0] = now
                self.post_message(TransferUpdate(tid, done, total))

        return report

    @on(TransferUpdate)
    def _on_progress(self, message: TransferUpdate) -> None:
        self.query_one(TransferPanel).update(message.tid, message.done, message.total)

    @on(TransferFinished)
    def _on_finished(self, message: TransferFinished) -> None:
        self.query_one(TransferPanel).finish(message.tid, message.ok, message.text)

    def cancel_transfers(self) -> bool:
        """Cancel every running transfer; False when none is running."""
        if not self.query_one(TransferPanel).running:
            return False
        for event in self._cancels:
            event.set()
        self.notify("Cancelling transfers…", timeout=3)
        return True

    def _batch_done(self, cancel: threading.Event) -> None:
        if cancel in self._cancels:
            self._cancels.remove(cancel)

    def _after_batch(self, text: str) -> None:
        self.finished_batches += 1
        self.notify(text, timeout=5)
        self.transfers_done(text)

    # --- upload ------------------------------------------------------------------

    def ask_upload(self, client_id: str | None = None, title: str | None = None) -> None:
        """The upload dialog (its client id field holding `client_id`), then the upload."""
        from tui.modals.files_upload import FilesUploadDialog

        if self.files_runtime is None:
            return
        if self.depllc_app.outage.down("MongoDB"):  # a file is never stored without its record
            self.notify(
                "MongoDB is unreachable: uploads wait until it answers (the banner says when).",
                severity="warning",
            )
            return
        dialog = FilesUploadDialog(self._last_pick, client_id=client_id, title=title)
        self.app.push_screen(dialog, self.start_upload)

    def start_upload(self, plan: UploadPlan | None) -> None:
        """Start uploading what the dialog returned (also called directly by tests)."""
        from core.files.upload import UploadRequest
        from core.vocabulary import FileCategory

        if plan is None or not plan.paths:
            return
        self._last_pick = plan.paths[0].parent
        panel = self.query_one(TransferPanel)
        requests, tids = [], []
        for path in plan.paths:
            tid = f"t{next(self._ids)}"
            try:
                size = path.stat().st_size
            except OSError:
                size = 0
            panel.add(tid, f"↑ {path.name}", size)
            tids.append(tid)
            requests.append(
                UploadRequest(
                    path=path,
                    category=FileCategory(plan.category),
                    tags=plan.tags,
                    clientId=plan.client_id,
                )
            )
        cancel = threading.Event()
        self._cancels.append(cancel)
        self.run_uploads(requests, tids, cancel)

    @work(thread=True, group="files-transfer", exit_on_error=False)
    def run_uploads(self, requests: list[Any], tids: list[str], cancel: threading.Event) -> None:
        from core.errors import describe
        from core.files.upload import upload_many

        runtime = self.files_runtime
        assert runtime is not None
        posters = [self._progress_poster(t) for t in tids]
        try:
            # Esc and a signal (DepllcApp.interrupt) stop it the same way
            with self.depllc_app.running.work(cancel=cancel) as work:
                outcomes = upload_many(
                    runtime, requests, progress=lambda i, d, t: posters[i](d, t), cancel=cancel
                )
                work.said += transfer_said("upload", [r.path.name for r in requests], outcomes)
        finally:
            self.app.call_from_thread(self._batch_done, cancel)
        for tid, outcome in zip(tids, outcomes, strict=True):
            if outcome.ok:
                self.post_message(TransferFinished(tid, True, "uploaded, SHA-256 recorded"))
            else:
                assert outcome.error is not None
                self.post_message(TransferFinished(tid, False, describe(outcome.error).text))
        ok = sum(1 for o in outcomes if o.ok)
        self.app.call_from_thread(self._after_batch, f"Uploaded {ok} of {len(outcomes)} files")

    # --- download ----------------------------------------------------------------

    def ask_download(
        self, targets: list[FileRecord], folder: Path | None = None, title: str | None = None
    ) -> None:
        """The folder dialog (holding `folder`, else the last one used), then the
        downloads."""
        from tui.modals.files_download import FilesDownloadDialog

        if not targets:
            return
        names = [r.originalName for r in targets]
        self.app.push_screen(
            FilesDownloadDialog(names, self._last_folder, folder=folder, title=title),
            lambda plan: self.start_download(targets, plan),
        )

    def start_download(
        self, targets: list[FileRecord], plan: DownloadPlan | None, version_id: str | None = None
    ) -> None:
        if plan is None or not targets:
            return
        self._last_folder = plan.folder
        panel = self.query_one(TransferPanel)
        tids = []
        for record in targets:
            tid = f"t{next(self._ids)}"
            panel.add(tid, f"↓ {record.originalName}", record.size)
            tids.append(tid)
        cancel = threading.Event()
        self._cancels.append(cancel)
        self.run_downloads(
            [str(r.id) for r in targets],
            [r.originalName for r in targets],
            tids,
            plan.folder,
            plan.conflict,
            version_id,
            cancel,
        )

    @work(thread=True, group="files-transfer", exit_on_error=False)
    def run_downloads(
        self,
        refs: list[str],
        names: list[str],
        tids: list[str],
        folder: Path,
        conflict: Any,
        version_id: str | None,
        cancel: threading.Event,
    ) -> None:
        from core.errors import describe
        from core.files.download import DownloadOutcome, download_file, download_many

        runtime = self.files_runtime
        assert runtime is not None
        posters = [self._progress_poster(t) for t in tids]
        try:
            # Esc and a signal (DepllcApp.interrupt) stop it the same way
            with self.depllc_app.running.work(cancel=cancel) as work:
                if version_id is not None:
                    try:
                        result = download_file(
                            runtime, refs[0], folder, conflict, version_id, posters[0], cancel
                        )
                        outcomes = [DownloadOutcome(refs[0], result=result)]
                    except Exception as exc:
                        outcomes = [DownloadOutcome(refs[0], error=exc)]
                else:
                    outcomes = download_many(
                        runtime,
                        refs,
                        folder,
                        conflict,
                        progress=lambda i, d, t: posters[i](d, t),
                        cancel=cancel,
                    )
                work.said += transfer_said("download", names, outcomes)
        finally:
            self.app.call_from_thread(self._batch_done, cancel)
        for tid, outcome in zip(tids, outcomes, strict=True):
            if outcome.result is not None:
                text = f"saved {outcome.result.path.name} · verified {outcome.result.verified}"
                self.post_message(TransferFinished(tid, True, text))
            else:
                assert outcome.error is not None
                self.post_message(TransferFinished(tid, False, describe(outcome.error).text))
        ok = sum(1 for o in outcomes if o.ok)
        self.app.call_from_thread(
            self._after_batch, f"Downloaded {ok} of {len(outcomes)} files to {folder}"
        )

    # --- link --------------------------------------------------------------------

    def ask_link(self, record: FileRecord) -> None:
        """How long the link lives, then the link (copied with OSC 52, selectable)."""
        from tui.modals.files_link import FilesLinkDialog

        def chosen(seconds: int | None) -> None:
            if seconds:
                self.make_link(str(record.id), seconds)

        self.app.push_screen(FilesLinkDialog(record.originalName), chosen)

    @work(thread=True, group="files-action", exit_on_error=False)
    def make_link(self, rid: str, seconds: int) -> None:
        from core.files.links import presign_get

        runtime = self.files_runtime
        assert runtime is not None
        link = presign_get(runtime, rid, seconds)
        expires = link.expires_at.astimezone().strftime("%Y-%m-%d %H:%M")
        self.app.call_from_thread(self._show_link, link.url, link.record.originalName, expires)

    def _show_link(self, url: str, name: str, expires: str) -> None:
        from tui.modals.files_link import FilesLinkResult

        self.app.push_screen(FilesLinkResult(url, name, expires))
