"""Presigned links exercised with a real HTTP client (urllib) against a moto server."""

from __future__ import annotations

import base64
import json
import re
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from core.aws import AwsClients
from core.config import Settings
from core.db import Store
from core.errors import InputError, NotFoundError
from core.files.links import (
    complete_upload,
    content_disposition,
    parse_duration,
    presign_get,
    presign_post,
)
from core.files.upload import UploadRequest, upload_file
from core.runtime import Runtime
from core.validation import GenerateUploadUrlRequest
from core.vocabulary import FileCategory, FileStatus
from tests.conftest import TESTER
from tests.core.files.conftest import ELF_HEADER, pdf_bytes


@pytest.fixture
def server_runtime(settings: Settings, store: Store) -> Iterator[Runtime]:
    """A runtime whose S3 is a moto server on a free port (real HTTP)."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset).close()  # moto's backends are per process, not per server
    try:
        cfg = settings.model_copy(update={"aws_endpoint_url": url})
        aws = AwsClients(cfg, endpoint_url=url)
        aws.s3.create_bucket(Bucket=cfg.aws_s3_bucket)
        aws.s3.put_bucket_versioning(
            Bucket=cfg.aws_s3_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        yield Runtime(settings=cfg, aws=aws, store=store, identity=TESTER)
    finally:
        urllib.request.urlopen(reset).close()
        server.stop()


def post_form(url: str, fields: dict[str, str], data: bytes, content_type: str) -> int:
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(request) as response:
        return int(response.status)


def test_presigned_get_downloads_with_the_original_name(
    server_runtime: Runtime, make_file: Callable[..., Path]
) -> None:
    path = make_file("Facture été.pdf", pdf_bytes())
    record = upload_file(server_runtime, UploadRequest(path=path))
    link = presign_get(server_runtime, str(record.id))
    query = parse_qs(urlparse(link.url).query)
    assert query["X-Amz-Expires"] == ["3600"]
    with urllib.request.urlopen(link.url) as response:
        assert response.read() == path.read_bytes()
        disposition = response.headers["Content-Disposition"]
        assert response.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''Facture%20%C3%A9t%C3%A9.pdf" in disposition
    assert 'filename="Facture _t_.pdf"' in disposition
    entry = server_runtime.store.auditlog.find_one({"action": "presign"})
    assert entry and entry["details"]["expiresIn"] == 3600


def test_link_expiry_bounds(runtime: Runtime, make_file: Callable[..., Path]) -> None:
    record = upload_file(runtime, UploadRequest(path=make_file("a.pdf", pdf_bytes())))
    for seconds in (0, 7 * 86400 + 1):
        with pytest.raises(InputError, match="between 1 second and 7 days"):
            presign_get(runtime, str(record.id), seconds)
    link = presign_get(runtime, str(record.id), parse_duration("7d"))
    assert parse_qs(urlparse(link.url).query)["X-Amz-Expires"] == ["604800"]
    assert parse_duration("15m") == 900
    for odd in ("soon", "infd", "nanh", "-infm", "1e999d"):  # float() takes inf and nan
        with pytest.raises(InputError, match="expires: bad duration"):
            parse_duration(odd)


def test_content_disposition_is_rfc6266() -> None:
    value = content_disposition('rapport "final"\n.pdf')
    assert value == (
        'attachment; filename="rapport _final__.pdf"; '
        "filename*=UTF-8''rapport%20%22final%22%0A.pdf"
    )


def upload_request(max_size: int = 1000) -> GenerateUploadUrlRequest:
    return GenerateUploadUrlRequest(
        fileName="scan.pdf",
        contentType="application/pdf",
        category=FileCategory.INVOICE,
        maxSizeBytes=max_size,
        clientId="683d063fe345c182ead5c02a",
    )


def test_presigned_post_policy_caps_size_and_type(server_runtime: Runtime) -> None:
    post = presign_post(server_runtime, upload_request(), tags=["from-client"])
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert ["content-length-range", 1, 1000] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"x-amz-server-side-encryption": "AES256"} in policy["conditions"]
    doc = server_runtime.store.files.find_one({"_id": post.record.id})
    assert doc and doc["status"] == "uploading" and doc["clientId"] == "683d063fe345c182ead5c02a"
    with pytest.raises(NotFoundError, match="not in S3 yet"):
        complete_upload(server_runtime, str(post.record.id))
    data = pdf_bytes()
    assert post_form(post.url, post.fields, data, "application/pdf") == 204
    done = complete_upload(server_runtime, str(post.record.id))
    assert done.status == FileStatus.COMPLETED and done.size == len(data)
    assert done.s3Info.versionId and done.metadata.tags == ["from-client"]


def test_completion_trusts_s3_not_the_client(server_runtime: Runtime) -> None:
    # moto does not enforce POST policies; real S3 would refuse these two uploads.
    # Completion checks anyway: HEAD for the size, the bytes for the type.
    too_big = presign_post(server_runtime, upload_request(max_size=10))
    post_form(too_big.url, too_big.fields, pdf_bytes(), "application/pdf")
    with pytest.raises(InputError, match="over the 10-byte cap; the object was deleted"):
        complete_upload(server_runtime, str(too_big.record.id))
    liar = presign_post(server_runtime, upload_request())
    post_form(liar.url, liar.fields, ELF_HEADER + b"\x00" * 100, "application/pdf")
    with pytest.raises(InputError, match="ELF executable"):
        complete_upload(server_runtime, str(liar.record.id))
    for record in (too_big.record, liar.record):
        doc = server_runtime.store.files.find_one({"_id": record.id})
        assert doc and doc["status"] == "failed"
    listed = server_runtime.aws.s3.list_object_versions(Bucket=too_big.record.s3Info.bucket)
    assert listed.get("Versions", []) == []


def test_presigned_post_refuses_forged_metadata(runtime: Runtime) -> None:
    request = upload_request().model_copy(update={"metadata": {"uploadedBy": "mallory"}})
    with pytest.raises(InputError, match="uploadedBy"):
        presign_post(runtime, request)
    assert runtime.store.files.count_documents({}) == 0


def test_completion_deletes_a_disguised_upload_and_says_why(server_runtime: Runtime) -> None:
    # an outsider promised a text file and posted a web page (text/plain to S3)
    request = GenerateUploadUrlRequest(
        fileName="notes.txt", contentType="text/plain", category=FileCategory.GENERAL
    )
    post = presign_post(server_runtime, request)
    page = b"<!DOCTYPE html><html><body><script>fetch('//evil.example')</script>"
    assert post_form(post.url, post.fields, page, "text/plain") == 204
    with pytest.raises(InputError) as info:
        complete_upload(server_runtime, str(post.record.id))
    reason = "notes.txt is a web page (HTML); markup and scripts are never accepted"
    assert str(info.value) == f"{reason}; the object was deleted."
    doc = server_runtime.store.files.find_one({"_id": post.record.id})
    assert doc and doc["status"] == "failed" and doc["error"] == reason
    listed = server_runtime.aws.s3.list_object_versions(Bucket=post.record.s3Info.bucket)
    assert listed.get("Versions", []) == []


@pytest.mark.parametrize(
    ("name", "content_type", "reason"),
    [
        ("run.bat", "text/plain", ".bat files (a Windows program or script)"),
        ("Invoice_2026_\u202efdp.bat", "application/pdf", "text-direction character"),
        ("photo.png", "application/pdf", "the name says image/png"),
        ("payload.js", "text/plain", ".js files"),
    ],
)
def test_no_upload_link_for_a_refused_name(
    runtime: Runtime, name: str, content_type: str, reason: str
) -> None:
    with pytest.raises((InputError, ValueError), match=re.escape(reason)):
        presign_post(
            runtime,
            GenerateUploadUrlRequest.model_validate(
                {"fileName": name, "contentType": content_type, "category": "general"}
            ),
        )
    assert runtime.store.files.count_documents({}) == 0


def test_an_upload_link_refuses_a_client_id_that_is_not_the_crms() -> None:
    with pytest.raises(InputError, match="'Client Y' is not a client id"):
        GenerateUploadUrlRequest(
            fileName="scan.pdf",
            contentType="application/pdf",
            category=FileCategory.INVOICE,
            clientId="Client Y",
        )
    for path in (Path("a.pdf"), Path("b.pdf")):
        with pytest.raises(InputError, match="is not a client id"):
            UploadRequest(path=path, clientId="Client Y")
    assert UploadRequest(path=Path("a.pdf"), clientId=" ").clientId is None
