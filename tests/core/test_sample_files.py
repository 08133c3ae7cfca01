"""The sandbox's generated files are well-formed: checked structurally with the
standard library (PNG chunks and pixels, a GIF decoded back, PDF cross-references,
JPEG and WebP headers, OOXML parts that parse), and sniffed as their type."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from xml.etree import ElementTree

import filetype

from core.seed import sample_files as sf

PIXELS = sf.avatar_pixels(31337, size=40, cell=8)


def test_png_chunks_and_pixels() -> None:
    data = sf.png(PIXELS)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert size == (40, 40)
    raw = zlib.decompress(idat)
    first_row = raw[1 : 1 + 3 * 40]
    assert [tuple(first_row[i : i + 3]) for i in range(0, 120, 3)] == PIXELS[0]
    assert filetype.guess_mime(data) == "image/png"


def _gif_decode(data: bytes) -> tuple[int, int, list[int]]:
    width, height, packed = struct.unpack("<HHB", data[6:11])
    table = 3 << ((packed & 7) + 1)
    pos = 13 + table
    assert data[pos] == 0x2C
    pos += 10
    min_size = data[pos]
    pos += 1
    stream = b""
    while data[pos]:
        stream += data[pos + 1 : pos + 1 + data[pos]]
        pos += 1 + data[pos]
    assert data[pos + 1 :] == b"\x3b"
    bits = int.from_bytes(stream, "little")
    clear, end = 1 << min_size, (1 << min_size) + 1
    size, offset, out = min_size + 1, 0, []
    codes: dict[int, list[int]] = {}
    previous: list[int] | None = None
    while True:
        code = bits >> offset & ((1 << size) - 1)
        offset += size
        if code == clear:
            codes = {i: [i] for i in range(clear)}
            size, previous = min_size + 1, None
            continue
        if code == end:
            return width, height, out
        if code in codes:
            entry = codes[code]
        else:
            assert previous is not None
            entry = previous + previous[:1]
        out += entry
        if previous is not None:
            codes[len(codes) + 2 if len(codes) >= clear else len(codes)] = previous + entry[:1]
            if len(codes) + 2 == 1 << size and size < 12:
                size += 1
        previous = entry


def test_gif_decodes_back_to_the_pixels() -> None:
    data = sf.gif(PIXELS)
    assert data.startswith(b"GIF89a")
    width, height, indices = _gif_decode(data)
    assert (width, height, len(indices)) == (40, 40, 1600)
    palette_size = 3 << ((data[10] & 7) + 1)
    palette = [tuple(data[13 + i : 16 + i]) for i in range(0, palette_size, 3)]
    assert [palette[i] for i in indices[:40]] == PIXELS[0]
    assert [palette[i] for i in indices] == [px for row in PIXELS for px in row]


def test_pdf_cross_references_point_at_objects() -> None:
    data = sf.pdf("Invoice (test) \\ 1", ["Total: 1,250.00 USD", "Café"])
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)", data).group(1))  # type: ignore[union-attr]
    assert data[startxref:].startswith(b"xref")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data)]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj" % number)
    assert b"(Invoice \\(test\\) \\\\ 1) Tj" in data
    assert filetype.guess_mime(data) == "application/pdf"


def test_jpeg_and_webp_headers() -> None:
    jpeg = sf.jpeg(PIXELS)
    assert jpeg.startswith(b"\xff\xd8\xff\xe0") and jpeg.endswith(b"\xff\xd9")
    sof = jpeg.index(b"\xff\xc0")
    assert struct.unpack(">HH", jpeg[sof + 5 : sof + 9]) == (40, 40)
    assert filetype.guess_mime(jpeg) == "image/jpeg"
    webp = sf.webp(PIXELS)
    assert webp[:4] == b"RIFF" and webp[8:16] == b"WEBPVP8L"
    assert struct.unpack("<I", webp[4:8])[0] == len(webp) - 8
    header = int.from_bytes(webp[21:25], "little")
    assert webp[20] == 0x2F
    assert (header & 0x3FFF) + 1 == 40 and (header >> 14 & 0x3FFF) + 1 == 40
    assert filetype.guess_mime(webp) == "image/webp"


def test_ooxml_parts_parse() -> None:
    for data, text, mime in (
        (
            sf.docx("Contract & terms", ["a < b"]),
            "a < b",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            sf.xlsx([["Name", "Amount"], ["B & C", 12.5]]),
            "B & C",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.namelist()[0] == "[Content_Types].xml"
            texts = []
            for name in archive.namelist():
                root = ElementTree.fromstring(archive.read(name))
                texts += [node.text or "" for node in root.iter() if node.text]
            assert text in texts
        assert filetype.guess_mime(data) == mime
    assert sf.docx("t", ["p"]) == sf.docx("t", ["p"])  # deterministic bytes


def test_text_formats() -> None:
    assert sf.csv_bytes([["a", "b,c"], [1, 2.5]]) == b'a,"b,c"\r\n1,2.5\r\n'
    assert sf.text(["one", "two"]) == b"one\ntwo\n"
