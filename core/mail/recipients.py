"""Addresses for the compose form: recent recipients from the log (suggestions) and
checking a typed list of addresses as the operator writes it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.db import Store

_SPLIT = re.compile(r"[,;\s]+")


def split_addresses(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text) if part]


@dataclass(frozen=True)
class AddressCheck:
    addresses: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_addresses(text: str) -> AddressCheck:
    """Each address of a typed list checked (IDN-aware, and sendable by SES)."""
    from core.errors import InputError
    from core.mail.send import ses_address

    good: list[str] = []
    problems: list[str] = []
    for part in split_addresses(text):
        try:
            good.append(ses_address(part))
        except InputError as exc:
            problems.append(exc.message)
    return AddressCheck(good, problems)


def recent_recipients(store: Store, scan: int = 500, limit: int = 200) -> list[str]:
    """Distinct addresses of the newest logs, most recent first."""
    seen: dict[str, None] = {}
    cursor = (
        store.emaillogs.find({}, {"to": 1, "cc": 1, "bcc": 1})
        .sort([("createdAt", -1), ("_id", -1)])
        .limit(scan)
    )
    for doc in cursor:
        for field in ("to", "cc", "bcc"):
            for address in doc.get(field) or []:
                if isinstance(address, str):
                    seen.setdefault(address.lower(), None)
        if len(seen) >= limit:
            break
    return list(seen)[:limit]
