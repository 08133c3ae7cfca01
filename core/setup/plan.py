"""A setup plan: one Step per resource aspect, saying what exists now and what setup
will do about it (create, update or nothing). Printed before anything is changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NONE = "none"


# An apply function may return a note for the operator (e.g. a DNS record to publish).
Apply = Callable[[], str | None]


@dataclass(frozen=True)
class DnsRecord:
    """A record the operator must publish at the domain's DNS host."""

    name: str
    type: str  # "CNAME", "TXT"
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "value": self.value}


def format_records(records: list[DnsRecord], indent: str = "    ") -> str:
    """One aligned line per record: `name  TYPE  value`, ready to paste into a zone."""
    width = max((len(r.name) for r in records), default=0)
    return "\n".join(f"{indent}{r.name:<{width}}  {r.type}  {r.value}" for r in records)


@dataclass
class Step:
    resource: str  # "s3 bucket depllc-crm-files"
    aspect: str  # "versioning"
    current: str  # what exists now, in words
    action: Action
    detail: str = ""  # what setup will do, or why nothing
    apply: Apply | None = field(default=None, repr=False, compare=False)
    warning: str = ""  # something setup cannot finish by itself (e.g. verification pending)
    records: list[DnsRecord] = field(default_factory=list)  # DNS records this step relies on

    @property
    def changes(self) -> bool:
        return self.action is not Action.NONE

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "aspect": self.aspect,
            "current": self.current,
            "action": self.action.value,
            "detail": self.detail,
            "warning": self.warning,
            "records": [r.to_dict() for r in self.records],
        }


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    def add(self, steps: list[Step]) -> None:
        self.steps.extend(steps)

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.changes]

    @property
    def warnings(self) -> list[Step]:
        return [s for s in self.steps if s.warning]

    @property
    def records(self) -> list[DnsRecord]:
        """Every DNS record the steps know of (an applied step fills in new ones)."""
        return [r for s in self.steps for r in s.records]

    def summary(self) -> str:
        creates = sum(s.action is Action.CREATE for s in self.steps)
        updates = sum(s.action is Action.UPDATE for s in self.steps)
        if not creates and not updates:
            return f"No changes: all {len(self.steps)} checks are already as they should be."
        return (
            f"{creates} to create, {updates} to update, "
            f"{len(self.steps) - creates - updates} already right."
        )

    def render(self) -> str:
        """A fixed-width table: action, resource, aspect, current state -> detail."""
        marks = {Action.CREATE: "+ create", Action.UPDATE: "~ update", Action.NONE: "  ok    "}
        width = max((len(s.resource) for s in self.steps), default=0)
        aspect_width = max((len(s.aspect) for s in self.steps), default=0)
        lines = []
        for s in self.steps:
            text = f"{marks[s.action]}  {s.resource:<{width}}  {s.aspect:<{aspect_width}}  "
            text += s.current
            if s.changes and s.detail:
                text += f" -> {s.detail}"
            elif s.detail:
                text += f" ({s.detail})"
            lines.append(text.rstrip())
            if s.warning:
                lines.append(f"{'':10}{'':<{width}}  ! {s.warning}")
            if s.records and (s.changes or s.warning):
                # at a fixed indent: DKIM records are long enough as they are
                lines.append(format_records(s.records, indent=" " * 10))
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": [s.to_dict() for s in self.steps],
            "records": [r.to_dict() for r in self.records],
            "summary": self.summary(),
        }
