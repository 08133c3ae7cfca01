"""A directory tree of the operator's own disk whose labels go through
tui/outside_text: a local file name was chosen by whoever could write to the folder (a
download, an unpacked archive, a mail attachment saved there), so it may hold escape
sequences, bidi controls or Rich markup like any other text from outside."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text, TextType
from textual.widgets import DirectoryTree

from tui import outside_text


class LocalTree(DirectoryTree):
    """Textual's DirectoryTree with every node's label made visible (never markup,
    never a raw control character); `folders_only` lists folders alone."""

    def __init__(self, path: str | Path, *, folders_only: bool = False, id: str | None = None):
        super().__init__(path, id=id)
        self.folders_only = folders_only

    def process_label(self, label: TextType) -> Text:
        # Textual's hook for every label the tree is given: the root's path and each
        # entry's name (DirectoryTree passes them as str; a Text is taken by its text)
        return outside_text.text(label.plain if isinstance(label, Text) else label)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        if not self.folders_only:
            return paths
        return [p for p in paths if p.is_dir()]
