"""The detail pane of the Files screen: a record's metadata, then a preview: the
first lines of a text file (syntax highlighted), an image's size and, for small PNGs,
a half-block rendering (two pixels per cell)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import humanize
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tui import outside_text

if TYPE_CHECKING:
    from core.files.preview import ImageInfo, Preview
    from core.models import FileRecord

MAX_WIDTH = 36  # cells across for the half-block image


def metadata_table(record: FileRecord) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()

    def when(value: object) -> str:
        from datetime import datetime

        return value.astimezone().strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "-"

    rows = [
        ("name", record.originalName),
        ("type", record.contentType),
        ("size", humanize.naturalsize(record.size, binary=True)),
        ("category", record.category.value),
        ("status", record.status.value),
        ("owner", record.userId),
        ("client", record.clientId or "-"),
        ("department", record.departmentId or "-"),
        ("public", "yes" if record.isPublic else "no"),
        ("tags", ", ".join(record.metadata.tags) or "-"),
        ("uploaded", when(record.createdAt)),
        ("downloads", str(record.access.downloadCount)),
        ("last access", when(record.access.lastAccessed)),
        ("sha-256", record.metadata.checksum or "-"),
        ("version", record.s3Info.versionId or "-"),
        ("encryption", record.sse or "-"),
        ("key", record.key),
    ]
    if record.deletedAt:
        rows.append(("deleted", f"{when(record.deletedAt)} by {record.deletedBy}"))
    for label, value in rows:
        table.add_row(label, outside_text.text(value, no_wrap=False))
    return table


def half_blocks(info: ImageInfo) -> Text:
    """Two pixel rows per text row: `▀` with the top pixel as foreground."""
    assert info.pixels is not None
    pixels = info.pixels
    step = max(1, (info.width + MAX_WIDTH - 1) // MAX_WIDTH)
    rows = pixels[::step]
    text = Text()
    for y in range(0, len(rows), 2):
        top = rows[y][::step]
        bottom = rows[y + 1][::step] if y + 1 < len(rows) else [(0, 0, 0)] * len(top)
        for (r1, g1, b1), (r2, g2, b2) in zip(top, bottom, strict=False):
            text.append("▀", style=f"rgb({r1},{g1},{b1}) on rgb({r2},{g2},{b2})")
        text.append("\n")
    return text


def render_preview(preview: Preview) -> RenderableType:
    parts: list[RenderableType] = [metadata_table(preview.record), Text("")]
    if preview.text is not None:
        # the file's contents come from outside: control and bidi characters made visible
        shown = outside_text.visible(preview.text, multiline=True)
        lexer = Syntax.guess_lexer(preview.record.originalName, code=shown)
        parts.append(Syntax(shown, lexer, line_numbers=True, word_wrap=False, theme="ansi_dark"))
        if preview.truncated:
            parts.append(Text("… (first lines only)", style="dim"))
    elif preview.image is not None:
        info = preview.image
        parts.append(
            outside_text.text(f"{info.format} image, {info.width}×{info.height} px", style="bold")
        )
        if info.pixels:
            parts.append(half_blocks(info))
        else:
            parts.append(Text("(no inline rendering for this image)", style="dim"))
    else:
        parts.append(Text("No preview for this type.", style="dim"))
    return Group(*parts)
