"""Helpers for the mail tests: requests, a stored file (record + S3 bytes), a fake
SES client that fails on demand, and a store that goes down on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from core.mail import pacing
from core.models import FileMetadata, FileRecord, S3Info
from core.runtime import Runtime
from core.validation import SendEmailRequest
from core.vocabulary import FileCategory, FileStatus

FAST_RETRY = pacing.RetryPolicy(attempts=4, base=0.001, cap=0.002)


def make_request(**fields: Any) -> SendEmailRequest:
    base: dict[str, Any] = {
        "to": ["client@example.com"],
        "subject": "Your invoice",
        "markdownContent": "# Invoice\n\nPlease find it **attached**.",
        "category": "notification",
    }
    base.update(fields)
    return SendEmailRequest.model_validate(base)


def client_error(code: str, message: str = "", status: int = 400, op: str = "SendEmail") -> Any:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message or code},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        op,
    )


def ses_sent(runtime: Runtime) -> int:
    """How many messages moto's SES accepted (its SentLast24Hours counts header
    recipients twice for raw messages given a Destination, so count messages)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][runtime.settings.aws_region]
    return len(backend.sent_messages)


@pytest.fixture
def stored_file(runtime: Runtime) -> Callable[..., FileRecord]:
    """Seed a completed file record and its bytes in S3."""

    def make(
        name: str = "contrat signé.pdf",
        data: bytes = b"%PDF-1.4 stored contract",
        content_type: str = "application/pdf",
        status: FileStatus = FileStatus.COMPLETED,
    ) -> FileRecord:
        bucket = runtime.settings.aws_s3_bucket
        assert bucket
        key = f"contract/tester/{len(name)}-{abs(hash(name))}.pdf"
        put = runtime.aws.s3.put_object(Bucket=bucket, Key=key, Body=data)
        record = FileRecord(
            key=key,
            fileName=name.replace(" ", "_"),
            originalName=name,
            contentType=content_type,
            size=len(data),
            category=FileCategory.CONTRACT,
            status=status,
            userId="tester",
            metadata=FileMetadata(uploadedBy="tester"),
            s3Info=S3Info(bucket=bucket, region="us-east-1", versionId=put.get("VersionId")),
        )
        record.id = runtime.store.files.insert_one(record.to_mongo()).inserted_id
        return record

    return make


class FlakyClient:
    """Wraps a real client; raises queued exceptions for the named operation first."""

    def __init__(self, real: Any, operation: str, errors: list[BaseException]) -> None:
        self.real = real
        self.operation = operation
        self.errors = list(errors)
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if name != self.operation:
            return attr

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self.errors:
                raise self.errors.pop(0)
            return attr(**kwargs)

        return call


@pytest.fixture
def flaky_ses(
    monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> Callable[[str, str, list[BaseException]], FlakyClient]:
    """flaky_ses(service, operation, errors): the send client fails as told."""

    def install(service: str, operation: str, errors: list[BaseException]) -> FlakyClient:
        real = pacing.send_client(runtime, service)
        flaky = FlakyClient(real, operation, errors)
        original = pacing.send_client

        def fake(rt: Runtime, svc: str) -> Any:
            return flaky if svc == service else original(rt, svc)

        monkeypatch.setattr(pacing, "send_client", fake)
        return flaky

    return install


class BrokenCollection:
    """A collection whose named methods raise as if MongoDB were unreachable."""

    def __init__(self, real: Any, broken: set[str]) -> None:
        self.real = real
        self.broken = broken

    def __getattr__(self, name: str) -> Any:
        if name in self.broken:

            def fail(*_a: Any, **_k: Any) -> Any:
                from pymongo.errors import ServerSelectionTimeoutError

                raise ServerSelectionTimeoutError("localhost:27017: connection refused")

            return fail
        return getattr(self.real, name)


@pytest.fixture
def break_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, set[str]], None]]:
    """break_store("emaillogs", {"update_one"}): those calls fail from now on."""
    from core.db import Store

    def apply(collection: str, methods: set[str]) -> None:
        prop = getattr(Store, collection)

        def broken(self: Store) -> Any:
            return BrokenCollection(prop.fget(self), methods)

        monkeypatch.setattr(Store, collection, property(broken))

    yield apply


@pytest.fixture
def pacer_takes(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sends pace through a pacer that records how many recipients each call takes
    (without waiting); the list it fills."""
    taken: list[int] = []

    class Recording(pacing.Pacer):
        def acquire(self, recipients: int, cancel: Any = None) -> float:
            taken.append(recipients)
            return 0.0

    recording = Recording(pacing.get_quota(runtime))
    monkeypatch.setattr(pacing, "pacer_for", lambda _rt: recording)
    return taken
