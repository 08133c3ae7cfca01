"""The audit log: one entry for every change an operator makes."""

from __future__ import annotations

import socket
from typing import Any

from core.db import Store
from core.models import AuditEntry

_HOST = socket.gethostname()


def record(store: Store, operator: str, action: str, target: str, **details: Any) -> None:
    """Append an entry; `action` is a verb such as `send`, `upload`, `purge`."""
    entry = AuditEntry(operator=operator, host=_HOST, action=action, target=target, details=details)
    store.auditlog.insert_one(entry.to_mongo())
