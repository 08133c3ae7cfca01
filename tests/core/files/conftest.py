"""Fixtures for the files tests: sample files of each type, and fault injection on
the runtime's S3 client (an AWS error for one operation, a dropped connection)."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.runtime import Runtime

MiB = 1024 * 1024


def png_bytes(width: int = 4, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(pad: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"%" * pad + b"\n%%EOF\n"
    return body


ELF_HEADER = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x00" * 44
PE_HEADER = b"MZ" + b"\x90" * 58 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00" + b"\x00" * 64


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    folder = tmp_path / "src"
    folder.mkdir()

    def make(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


@pytest.fixture
def big_pdf(make_file: Callable[..., Path]) -> Path:
    """A PDF over the multipart threshold of the small test tuning (3 parts)."""
    head = pdf_bytes()
    return make_file("big.pdf", head + os.urandom(11 * MiB))


@pytest.fixture
def small_tuning() -> Any:
    from core.files.transfer import TransferTuning

    return TransferTuning(
        multipart_threshold=5 * MiB,
        part_size=5 * MiB,
        concurrency=3,
        in_memory_parts=3,
        adaptive=False,
    )


class S3Faults:
    """Make one S3 operation fail: an AWS error code, or a dropped connection."""

    def __init__(self, runtime: Runtime) -> None:
        from core.files.transfer import transfer_client

        # the runtime's client (HEAD, lists) and the transfers' own client
        self.clients = [runtime.aws.s3, transfer_client(runtime)]
        self.handlers: list[tuple[str, Any]] = []

    def error(self, operation: str, code: str, status: int = 403, after: int = 0) -> None:
        from botocore.awsrequest import AWSResponse

        calls = [0]

        def handler(**kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] <= after:
                return None
            parsed = {
                "Error": {"Code": code, "Message": f"simulated {code}"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            }
            return AWSResponse("https://s3.test", status, {}, None), parsed

        self._register(f"before-call.s3.{operation}", handler)

    def drop(self, operation: str, after: int = 0) -> None:
        """The connection drops on every `operation` request after the first `after`."""
        from botocore.exceptions import ConnectionClosedError

        calls = [0]

        def handler(request: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] > after:
                raise ConnectionClosedError(endpoint_url=request.url)
            return None

        self._register(f"before-send.s3.{operation}", handler)

    def _register(self, event: str, handler: Any) -> None:
        for client in self.clients:
            client.meta.events.register_first(event, handler)
        self.handlers.append((event, handler))

    def clear(self) -> None:
        for event, handler in self.handlers:
            for client in self.clients:
                client.meta.events.unregister(event, handler)


@pytest.fixture
def s3_faults(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Faults]:
    # botocore's retry back-off would make a dropped connection take seconds
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    faults = S3Faults(runtime)
    yield faults
    faults.clear()


def pending_uploads(runtime: Runtime) -> list[dict[str, Any]]:
    bucket = runtime.settings.aws_s3_bucket
    uploads: list[dict[str, Any]] = runtime.aws.s3.list_multipart_uploads(Bucket=bucket).get(
        "Uploads", []
    )
    return uploads


def object_keys(runtime: Runtime) -> list[str]:
    bucket = runtime.settings.aws_s3_bucket
    versions = runtime.aws.s3.list_object_versions(Bucket=bucket)
    return [v["Key"] for v in versions.get("Versions", [])]
