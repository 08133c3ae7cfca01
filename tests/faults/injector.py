"""Fail one step of a flow: the Nth call of a store method (pymongo's
ServerSelectionTimeoutError, as when MongoDB goes away), of an AWS operation (a
botocore error: SES/S3/SQS answering 500), or of a disk write (ENOSPC). Successful AWS
answers are kept, so a test knows what SES really accepted."""

from __future__ import annotations

import errno
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pymongo.errors import ServerSelectionTimeoutError

from core.db import Store

COLLECTIONS = ("emaillogs", "files", "suppressions", "auditlog", "unmatched_events")


@dataclass
class Injector:
    step: str  # "emaillogs.update_one", "ses:SendBulkTemplatedEmail", "disk:write"
    nth: int = 1
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fired: bool = False
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def hit(self, name: str) -> bool:
        """Count a call of `name`; True when this one is to fail."""
        self.calls[name] += 1
        if name == self.step and self.calls[name] == self.nth and not self.fired:
            self.fired = True
            return True
        return False

    def store_error(self) -> Exception:
        return ServerSelectionTimeoutError("db.internal:27017: connection refused (injected)")

    def aws_error(self, operation: str) -> Exception:
        return ClientError(
            {
                "Error": {"Code": "InternalFailure", "Message": "injected"},
                "ResponseMetadata": {"HTTPStatusCode": 500},
            },
            operation,
        )


class _Collection:
    def __init__(self, real: Any, name: str, injector: Injector) -> None:
        self._real = real
        self._name = name
        self._injector = injector

    def __getattr__(self, method: str) -> Any:
        attr = getattr(self._real, method)
        if not callable(attr) or method.startswith("_"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._injector.hit(f"{self._name}.{method}"):
                raise self._injector.store_error()
            return attr(*args, **kwargs)

        return call


class FailingDb:
    """A database whose collections (by `db[name]`) fail as the injector says."""

    def __init__(self, real: Any, injector: Injector) -> None:
        self._real = real
        self._injector = injector

    def __getitem__(self, name: str) -> Any:
        return _Collection(self._real[name], name, self._injector)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install(monkeypatch: pytest.MonkeyPatch, injector: Injector) -> Injector:
    """Every Store's collections and every botocore client go through `injector`."""
    names = {"unmatched_events": "unmatchedevents"}
    for prop in COLLECTIONS:
        real_prop = getattr(Store, prop)

        def wrapped(self: Store, _p: Any = real_prop, _n: str = names.get(prop, prop)) -> Any:
            return _Collection(_p.fget(self), _n, injector)

        monkeypatch.setattr(Store, prop, property(wrapped))
    real_call = BaseClient._make_api_call

    def api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        name = f"{client.meta.service_model.service_name}:{operation}"
        if injector.hit(name):
            raise injector.aws_error(operation)
        answer = real_call(client, operation, params)
        injector.answers[name].append(answer)
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", api_call)
    from core.files import transfer

    real_pwrite = transfer._pwrite

    def pwrite(fd: int, data: Any, offset: int) -> int:
        if injector.hit("disk:write"):
            raise OSError(errno.ENOSPC, "No space left on device (injected)")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(transfer, "_pwrite", pwrite)
    return injector
