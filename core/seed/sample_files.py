"""Small but real files for the sandbox: each generator returns bytes that a viewer
opens (PDF, PNG, JPEG, GIF, WebP, DOCX, XLSX, CSV, TXT), built with the standard
library only (zlib, struct, zipfile) so the sandbox needs no imaging package.

Every generator is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from xml.sax.saxutils import escape

Rgb = tuple[int, int, int]

# A fixed timestamp inside the zip containers keeps their bytes deterministic.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


# --- PDF ---------------------------------------------------------------------


def _pdf_text(value: str) -> str:
    text = value.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF 1.4 (A4) with a bold title and lines of Helvetica text; the
    cross-reference table holds the real byte offsets."""
    ops = ["BT", "/F2 16 Tf", "56 780 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        ops += [f"({_pdf_text(line)}) Tj", "0 -16 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
        b"<< /Producer (depllc sandbox) /Title (%s) >>" % _pdf_text(title).encode("latin-1"),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, len(objects), xref)
    )
    return out.getvalue()


# --- pixel art shared by the image formats -------------------------------------


def avatar_pixels(seed: int, size: int = 64, cell: int = 8) -> list[list[Rgb]]:
    """A symmetric identicon: `size`x`size` pixels in `cell`-sized blocks, two colours
    picked from `seed` (so each user's avatar differs)."""
    hue = seed % 360
    fg = _hsv(hue, 0.55, 0.85)
    bg = (240, 240, 236)
    cells = -(-size // cell)
    bits = seed * 2654435761 & 0xFFFFFFFF
    grid = [[bg] * cells for _ in range(cells)]
    for y in range(1, cells - 1):
        for x in range((cells + 1) // 2):
            if bits >> ((y * cells + x) % 31) & 1:
                grid[y][x] = fg
                grid[y][cells - 1 - x] = fg
    return [[grid[y // cell][x // cell] for x in range(size)] for y in range(size)]


def _hsv(hue: int, sat: float, val: float) -> Rgb:
    c = val * sat
    x = c * (1 - abs((hue / 60) % 2 - 1))
    m = val - c
    r, g, b = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][hue // 60 % 6]
    return (round((r + m) * 255), round((g + m) * 255), round((b + m) * 255))


# --- PNG ---------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(pixels: Sequence[Sequence[Rgb]]) -> bytes:
    """An 8-bit RGB PNG of `pixels` (rows of (r, g, b))."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


# --- JPEG (baseline; every 8x8 block one colour, so only DC coefficients) ------

# Annex K standard DC tables; the AC table holds only end-of-block.
_DC_LUMA = ([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], list(range(12)))
_DC_CHROMA = ([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], list(range(12)))
_AC_EOB_ONLY = ([0, 1] + [0] * 14, [0x00])


def _huffman_codes(bits: list[int], values: list[int]) -> dict[int, tuple[int, int]]:
    codes: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class _BitWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def write(self, value: int, length: int) -> None:
        for i in range(length - 1, -1, -1):
            self.acc = self.acc << 1 | (value >> i & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0x00)  # byte stuffing
                self.acc, self.count = 0, 0

    def flush(self) -> bytes:
        if self.count:
            self.write((1 << (8 - self.count)) - 1, 8 - self.count)  # pad with 1-bits
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg(pixels: Sequence[Sequence[Rgb]]) -> bytes:
    """A baseline JFIF JPEG (YCbCr 4:4:4). Each 8x8 block takes the colour of its
    top-left pixel, so the image is exact for block art such as `avatar_pixels`."""
    height, width = len(pixels), len(pixels[0])
    quant = bytes([8] * 64)
    header = b"".join(
        [
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, b"\x00" + quant + b"\x01" + quant),
            _segment(
                0xC0,
                struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x01\x03\x11\x01",
            ),
            _segment(
                0xC4,
                b"".join(
                    bytes([cls_id]) + bytes(bits) + bytes(vals)
                    for cls_id, (bits, vals) in (
                        (0x00, _DC_LUMA),
                        (0x10, _AC_EOB_ONLY),
                        (0x01, _DC_CHROMA),
                        (0x11, _AC_EOB_ONLY),
                    )
                ),
            ),
            _segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"),
        ]
    )
    dc_tables = [_huffman_codes(*_DC_LUMA), _huffman_codes(*_DC_CHROMA)]
    ac_tables = [_huffman_codes(*_AC_EOB_ONLY), _huffman_codes(*_AC_EOB_ONLY)]
    writer = _BitWriter()
    previous = [0, 0, 0]
    for by in range(0, height, 8):
        for bx in range(0, width, 8):
            r, g, b = pixels[by][bx]
            ycc = (
                0.299 * r + 0.587 * g + 0.114 * b,
                128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
            )
            for comp, value in enumerate(ycc):
                # A flat block's DC coefficient is 8*(v-128); quantised by 8: v-128.
                dc = max(-128, min(127, round(value) - 128))
                diff = dc - previous[comp]
                previous[comp] = dc
                table = 0 if comp == 0 else 1
                size = abs(diff).bit_length()
                code, length = dc_tables[table][size]
                writer.write(code, length)
                if size:
                    writer.write(diff if diff > 0 else diff + (1 << size) - 1, size)
                code, length = ac_tables[table][0x00]
                writer.write(code, length)
    return header + writer.flush() + b"\xff\xd9"


# --- GIF (LZW) ------------------------------------------------------------------


def _lzw(indices: Sequence[int], min_size: int) -> bytes:
    clear, end = 1 << min_size, (1 << min_size) + 1
    size = min_size + 1
    table = {bytes([i]): i for i in range(clear)}
    next_code = end + 1
    bits = _LsbWriter()
    bits.write(clear, size)
    current = b""
    for index in indices:
        candidate = current + bytes([index])
        if candidate in table:
            current = candidate
            continue
        bits.write(table[current], size)
        if next_code < 4096:
            table[candidate] = next_code
            next_code += 1
            if next_code > (1 << size) and size < 12:
                size += 1
        else:
            bits.write(clear, size)
            table = {bytes([i]): i for i in range(clear)}
            next_code, size = end + 1, min_size + 1
        current = bytes([index])
    if current:
        bits.write(table[current], size)
    bits.write(end, size)
    return bits.flush()


class _LsbWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def write(self, value: int, length: int) -> None:
        self.acc |= value << self.count
        self.count += length
        while self.count >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.count -= 8

    def flush(self) -> bytes:
        if self.count:
            self.out.append(self.acc & 0xFF)
        return bytes(self.out)


def gif(pixels: Sequence[Sequence[Rgb]]) -> bytes:
    """A GIF89a with a global palette of the image's colours (at most 256)."""
    height, width = len(pixels), len(pixels[0])
    palette: dict[Rgb, int] = {}
    indices = []
    for row in pixels:
        for px in row:
            if px not in palette:
                palette[px] = len(palette)
            indices.append(palette[px])
    depth = max(1, (len(palette) - 1).bit_length())
    colours = b"".join(bytes(c) for c in palette) + b"\x00" * (3 * ((1 << depth) - len(palette)))
    data = _lzw(indices, max(2, depth))
    blocks = b"".join(
        bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)
    )
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80 | (depth - 1) << 4 | (depth - 1), 0, 0)
        + colours
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + bytes([max(2, depth)])
        + blocks
        + b"\x00\x3b"
    )


# --- WebP (lossless VP8L, two-colour images) ------------------------------------


def webp(pixels: Sequence[Sequence[Rgb]]) -> bytes:
    """A lossless WebP (VP8L) of an image with at most two values per channel (such
    as `avatar_pixels`): each channel gets a "simple" prefix code of one or two
    symbols, so a pixel costs at most three bits. No transforms, no colour cache."""
    height, width = len(pixels), len(pixels[0])
    channels = [sorted({px[c] for row in pixels for px in row}) for c in range(3)]
    if any(len(values) > 2 for values in channels):
        raise ValueError("webp() encodes images with at most two values per channel")
    bits = _LsbWriter()
    bits.write(0x2F, 8)  # VP8L signature
    bits.write(width - 1, 14)
    bits.write(height - 1, 14)
    bits.write(0, 1)  # alpha is not used
    bits.write(0, 3)  # version
    bits.write(0, 1)  # no transform
    bits.write(0, 1)  # no colour cache
    bits.write(0, 1)  # no meta prefix codes

    def simple_code(symbols: Sequence[int]) -> None:
        bits.write(1, 1)  # simple code
        bits.write(len(symbols) - 1, 1)
        wide = len(symbols) > 1 or symbols[0] > 1
        bits.write(int(wide), 1)
        bits.write(symbols[0], 8 if wide else 1)
        if len(symbols) > 1:
            bits.write(symbols[1], 8)

    red, green, blue = channels
    for values in (green, red, blue, [255], [0]):  # green, red, blue, alpha, distance
        simple_code(values)
    # With two symbols the smaller value has code 0, the larger code 1 (one bit each).
    for row in pixels:
        for r, g, b in row:
            for value, values in ((g, green), (r, red), (b, blue)):
                if len(values) == 2:
                    bits.write(values.index(value), 1)
    data = bits.flush()
    if len(data) % 2:
        data += b"\x00"
    chunk = b"VP8L" + struct.pack("<I", len(bits.out)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


# --- OOXML (zip containers) ---------------------------------------------------


def _zip(parts: Sequence[tuple[str, str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def docx(title: str, paragraphs: Sequence[str]) -> bytes:
    """A minimal WordprocessingML document: a bold title and plain paragraphs."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = f"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>{escape(title)}</w:t></w:r></w:p>" + "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs
    )
    return _zip(
        [
            (
                "[Content_Types].xml",
                _XML
                + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            ),
            (
                "_rels/.rels",
                _XML + f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" '
                f'Type="{_DOC_REL}" Target="word/document.xml"/></Relationships>',
            ),
            (
                "word/document.xml",
                _XML + f'<w:document xmlns:w="{w}"><w:body>{body}'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>',
            ),
        ]
    )


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def xlsx(rows: Sequence[Sequence[str | int | float]], sheet: str = "Sheet1") -> bytes:
    """A minimal SpreadsheetML workbook with one sheet (numbers as numbers, text as
    inline strings)."""
    s = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    cells = []
    for y, row in enumerate(rows, start=1):
        out = []
        for x, value in enumerate(row):
            ref = f"{_column(x)}{y}"
            if isinstance(value, int | float):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        cells.append(f'<row r="{y}">{"".join(out)}</row>')
    return _zip(
        [
            (
                "[Content_Types].xml",
                _XML
                + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
            ),
            (
                "_rels/.rels",
                _XML + f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" '
                f'Type="{_DOC_REL}" Target="xl/workbook.xml"/></Relationships>',
            ),
            (
                "xl/workbook.xml",
                _XML + f'<workbook xmlns="{s}" xmlns:r="{r}"><sheets>'
                f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
            ),
            (
                "xl/_rels/workbook.xml.rels",
                _XML + f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            ),
            (
                "xl/worksheets/sheet1.xml",
                _XML
                + f'<worksheet xmlns="{s}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
            ),
        ]
    )


# --- text ---------------------------------------------------------------------


def csv_bytes(rows: Sequence[Sequence[str | int | float]]) -> bytes:
    """RFC 4180 CSV (CRLF line ends), UTF-8."""
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def text(lines: Sequence[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")
