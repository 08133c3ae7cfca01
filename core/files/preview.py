"""What the TUI previews: the first bytes of an object (a ranged GET), the first
lines of a text file, image dimensions from the header (PNG, GIF, JPEG, WebP), and
the pixels of small PNGs (a pure-Python decoder: no imaging library needed)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.files.catalogue import get_file
from core.models import FileRecord
from core.vocabulary import FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

TEXT_BYTES = 16 * 1024
IMAGE_BYTES = 256 * 1024
MAX_PIXELS = 512 * 512


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    pixels: list[list[tuple[int, int, int]]] | None = None  # rows of RGB, small PNGs only


@dataclass(frozen=True)
class Preview:
    record: FileRecord
    text: str | None = None  # the first lines of a text file
    truncated: bool = False
    image: ImageInfo | None = None


def fetch_head(runtime: Runtime, record: FileRecord, length: int) -> bytes:
    s3 = runtime.aws.s3
    args = {"Bucket": record.s3Info.bucket, "Key": record.key, "Range": f"bytes=0-{length - 1}"}
    if record.s3Info.versionId:
        args["VersionId"] = record.s3Info.versionId
    data: bytes = s3.get_object(**args)["Body"].read()
    return data


def first_lines(data: bytes, max_lines: int, complete: bool) -> tuple[str, bool]:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line may be cut mid-way
    truncated = not complete or len(lines) > max_lines
    return "\n".join(lines[:max_lines]), truncated


def preview(runtime: Runtime, ref: str, max_lines: int = 60) -> Preview:
    record = get_file(runtime, ref)
    if record.status != FileStatus.COMPLETED or record.size == 0:
        return Preview(record)
    if record.contentType.startswith("text/"):
        data = fetch_head(runtime, record, min(TEXT_BYTES, record.size))
        text, truncated = first_lines(data, max_lines, complete=record.size <= TEXT_BYTES)
        return Preview(record, text=text, truncated=truncated)
    if record.contentType.startswith("image/"):
        data = fetch_head(runtime, record, min(IMAGE_BYTES, record.size))
        return Preview(record, image=image_info(data, complete=record.size <= IMAGE_BYTES))
    return Preview(record)


def image_info(data: bytes, complete: bool = True) -> ImageInfo | None:
    """Format and size from the header; pixels for a small, complete PNG."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        pixels = None
        if complete and width * height <= MAX_PIXELS:
            try:
                pixels = decode_png(data)
            except (ValueError, zlib.error, struct.error, IndexError):
                pixels = None
        return ImageInfo("PNG", width, height, pixels)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return ImageInfo("GIF", width, height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return ImageInfo("WebP", w, h)
        if chunk == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return ImageInfo("WebP", w & 0x3FFF, h & 0x3FFF)
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return ImageInfo("WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        return ImageInfo("WebP", 0, 0)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return ImageInfo("JPEG", w, h)
            i += 2 + length
        return ImageInfo("JPEG", 0, 0)
    return None


def decode_png(data: bytes) -> list[list[tuple[int, int, int]]]:
    """RGB rows of a non-interlaced 8-bit PNG (grey, RGB, palette, grey+alpha, RGBA);
    transparent pixels are blended on black."""
    pos = 8
    ihdr = None
    palette = b""
    idat = bytearray()
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise ValueError("no IHDR")
    width, height, depth, colour, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if depth != 8 or interlace or channels is None:
        raise ValueError("unsupported PNG layout")
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[list[tuple[int, int, int]]] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 0xFF
            elif kind != 0:
                raise ValueError("bad filter")
        row: list[tuple[int, int, int]] = []
        for x in range(width):
            px = line[x * channels : (x + 1) * channels]
            if colour == 0:
                rgb = (px[0], px[0], px[0])
            elif colour == 4:
                g = px[0] * px[1] // 255
                rgb = (g, g, g)
            elif colour == 3:
                i = px[0] * 3
                rgb = (palette[i], palette[i + 1], palette[i + 2])
            elif colour == 6:
                alpha = px[3]
                rgb = (px[0] * alpha // 255, px[1] * alpha // 255, px[2] * alpha // 255)
            else:
                rgb = (px[0], px[1], px[2])
            row.append(rgb)
        rows.append(row)
        prev = line
    return rows
