"""The audit log read back: keyset pages, the query line's filter, one record's entries."""

from __future__ import annotations

from datetime import timedelta

from core import audit
from core.db import Store
from core.models import utcnow
from core.query_line import audit_filter, parse


def test_pages_newest_first_without_gaps_or_repeats(store: Store) -> None:
    same = utcnow()
    store.auditlog.insert_many(
        [
            {"at": same, "operator": "ana", "host": "h", "action": "send", "target": f"t{n}"}
            for n in range(7)
        ]
    )
    seen: list[str] = []
    after = None
    while True:
        page, after = audit.find_page(store, None, 3, after)
        seen += [e.target for e in page]
        if after is None:
            break
    assert seen == [f"t{n}" for n in reversed(range(7))]  # same instant: newest _id first


def test_the_query_line_selects_actor_action_target_text_and_period(store: Store) -> None:
    now = utcnow()
    for days, actor, action, target in (
        (0, "ana", "send", "5ded1c6c92ab669604e58a14"),
        (1, "ben", "purge", "invoice/u1/INV-1.pdf"),
        (2, "ana", "delete", "invoice/u1/INV-2.pdf"),
        (20, "ben", "purge", "x.pdf"),
    ):
        store.auditlog.insert_one(
            {
                "at": now - timedelta(days=days),
                "operator": actor,
                "host": "h",
                "action": action,
                "target": target,
            }
        )

    def targets(line: str) -> list[str]:
        page, _ = audit.find_page(store, audit_filter(parse(line, "audit")), 50)
        return [e.target for e in page]

    assert targets("") == [
        "5ded1c6c92ab669604e58a14",
        "invoice/u1/INV-1.pdf",
        "invoice/u1/INV-2.pdf",
        "x.pdf",
    ]
    assert targets("actor:ben") == ["invoice/u1/INV-1.pdf", "x.pdf"]
    assert targets("operator:ben action:purge since:7d") == ["invoice/u1/INV-1.pdf"]
    assert targets("inv-2") == ["invoice/u1/INV-2.pdf"]
    assert targets("until:yesterday action:purge") == ["invoice/u1/INV-1.pdf", "x.pdf"]
    assert targets("target:x.pdf") == ["x.pdf"]


def test_one_records_entries(store: Store) -> None:
    audit.record(store, "ana", "send", "log-1")
    audit.record(store, "ana", "upload", "invoice/u1/a.pdf", fileId="f1")
    audit.record(store, "ben", "presign", "invoice/u1/a.pdf", fileId="f1")
    audit.record(store, "ben", "send", "log-2")
    found = audit.for_targets(store, ["invoice/u1/a.pdf", "f1"])
    assert [e.action for e in found] == ["presign", "upload"]
    assert [e.target for e in audit.for_targets(store, ["log-1", ""])] == ["log-1"]
