"""The hashing streams and the preview helpers, without S3."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import random
import struct
import threading
from pathlib import Path

import pytest

from core.errors import CancelledError
from core.files.preview import decode_png, first_lines, image_info
from core.files.transfer import FileChangedError, FileHasher, HashingWriter
from tests.core.files.conftest import png_bytes


def b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_writer_hashes_out_of_order_parts(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 123)
    chunks = [(i, data[i : i + 65536]) for i in range(0, len(data), 65536)]
    random.Random(7).shuffle(chunks)
    chunks.insert(5, chunks[3])  # a retried range written twice
    fd = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT)
    try:
        writer = HashingWriter(fd)
        for offset, chunk in chunks:
            writer.seek(offset)
            writer.write(chunk)
        size, digest = writer.finish()
    finally:
        os.close(fd)
    assert size == len(data) and digest == b64(data)
    assert (tmp_path / "out").read_bytes() == data


@pytest.mark.parametrize("seed", range(40))
def test_writer_joins_interleaved_ranges_and_retries(tmp_path: Path, seed: int) -> None:
    """Ranges streamed side by side in small chunks, as s3transfer's parallel GETs
    write them, some restarted from their start (a retried GET): the hash is the
    file's, and the runs past the prefix stay about one per range in flight."""
    rnd = random.Random(seed)
    size = rnd.randint(1, 400) * 100 + rnd.randint(0, 99)
    chunk = rnd.choice([100, 300, 700])
    cuts = sorted({0, size, *(rnd.randrange(0, size) for _ in range(rnd.randint(0, 7)))})
    streams = []
    for start, end in itertools.pairwise(cuts):
        writes = [(o, min(o + chunk, end)) for o in range(start, end, chunk)]
        if writes and rnd.random() < 0.4:
            writes = writes[: rnd.randint(0, len(writes))] + writes  # retried from the start
        streams.append(writes)
    data = os.urandom(size)
    most_runs = 0
    fd = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT)
    try:
        writer = HashingWriter(fd)
        while live := [s for s in streams if s]:
            start, end = rnd.choice(live).pop(0)
            writer.seek(start)
            writer.write(data[start:end])
            most_runs = max(most_runs, writer.pending_runs)
        written, digest = writer.finish()
    finally:
        os.close(fd)
    assert (written, digest) == (size, b64(data))
    assert (tmp_path / "out").read_bytes() == data
    assert most_runs <= 2 * len(streams)  # not one per chunk


def test_writer_without_preadv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the OS has no preadv the follower reads with pread: same digest."""
    monkeypatch.delattr(os, "preadv", raising=False)
    data = os.urandom(9 * 1024 * 1024 + 5)  # more than one hashing block
    fd = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT)
    try:
        writer = HashingWriter(fd)
        half = len(data) // 2
        writer.seek(half)
        writer.write(data[half:])
        writer.seek(0)
        writer.write(data[:half])
        assert writer.finish() == (len(data), b64(data))
    finally:
        os.close(fd)


def test_writer_reports_a_gap(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT)
    try:
        writer = HashingWriter(fd)
        writer.write(b"a" * 10)
        writer.seek(20)
        writer.write(b"b" * 10)
        size, _ = writer.finish()
    finally:
        os.close(fd)
    assert size == -1  # not one contiguous run: the caller refuses the file


def test_writer_refuses_after_cancel(tmp_path: Path) -> None:
    cancel = threading.Event()
    fd = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT)
    try:
        writer = HashingWriter(fd, cancel)
        cancel.set()
        with pytest.raises(CancelledError):
            writer.write(b"x")
        writer.abandon()
    finally:
        os.close(fd)


def test_file_hasher(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = os.urandom(5 * 1024 * 1024)
    path.write_bytes(data)
    with path.open("rb") as fh:
        assert FileHasher(fh, len(data)).result() == b64(data)
    with path.open("rb") as fh, pytest.raises(FileChangedError, match="shrank"):
        FileHasher(fh, len(data) + 10).result()
    with path.open("rb") as fh, pytest.raises(FileChangedError, match="grew"):
        FileHasher(fh, len(data) - 10).result()


def test_image_headers() -> None:
    png = image_info(png_bytes(4, 2))
    assert png and (png.format, png.width, png.height) == ("PNG", 4, 2)
    assert png.pixels == [[(255, 0, 0)] * 4] * 2
    gif = image_info(b"GIF89a" + struct.pack("<HH", 33, 17) + b"\x00" * 10)
    assert gif and (gif.format, gif.width, gif.height) == ("GIF", 33, 17)
    jpeg = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x0b\x08" + struct.pack(">HH", 480, 640) + b"x"
    found = image_info(jpeg)
    assert found and (found.format, found.width, found.height) == ("JPEG", 640, 480)
    webp = (
        b"RIFF\x00\x00\x00\x00WEBPVP8X"
        + b"\x00" * 8
        + (99).to_bytes(3, "little")
        + (49).to_bytes(3, "little")
    )
    found = image_info(webp)
    assert found and (found.format, found.width, found.height) == ("WebP", 100, 50)
    assert image_info(b"not an image") is None
    with pytest.raises(ValueError):
        decode_png(b"\x89PNG\r\n\x1a\n")


def test_first_lines() -> None:
    assert first_lines(b"a\nb\nc\n", 2, complete=True) == ("a\nb", True)
    assert first_lines(b"a\nb\npartial", 10, complete=False) == ("a\nb", True)
    assert first_lines(b"a\nb\n", 10, complete=True) == ("a\nb", False)
