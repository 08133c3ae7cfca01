"""Who the operator is, from something that cannot be typed in.

Connected mode: the AWS caller identity (sts:GetCallerIdentity, which needs no
permission) is looked up in the admin-managed `operators` collection, which gives the
role and the CRM user id. A caller not in the list acts as `operator` with no CRM user
id (doctor warns). `DEPLLC_USER` / `DEPLLC_ROLE` are refused in connected mode: they are
the sandbox's way to try each role. `DEPLLC_CRM_USER_ID` is the sandbox's and a
single-user install's way (honoured while the operators list is empty).

Bootstrap: while the list is empty, the first `operators add` may be the caller adding
themselves as admin; from then on only an admin changes the list, every change audited.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import audit
from core.config import Settings
from core.errors import ConfigError, DepllcError, InputError, NotFoundError
from core.models import OperatorEntry, utcnow
from core.vocabulary import ROLES, Role

if TYPE_CHECKING:
    from core.aws import AwsClients
    from core.db import Store
    from core.runtime import Runtime

# arn:aws:iam::123456789012:user/alice, arn:aws:sts::123456789012:assumed-role/R/alice
_ARN = re.compile(
    r"arn:aws[a-z-]*:(iam|sts)::\d{12}:"
    r"(root|(user|role|assumed-role|federated-user)/[\w+=,.@/-]{1,512})"
)
CRM_ID_MAX = 200
NAME_MAX = 200


class NotAllowedError(DepllcError):
    """The operator's role does not allow the change."""


@dataclass(frozen=True)
class Identity:
    """The operator: `login` goes in the console's own `operator` fields and the audit
    log (the caller's ARN when connected); `crm_user_id` in the CRM's `userId`."""

    login: str
    role: Role
    crm_user_id: str | None
    source: str  # how it was decided, said by `operators whoami` and doctor
    arn: str | None = None
    name: str | None = None
    listed: bool = False

    @property
    def user_id(self) -> str:
        """What a record's required `userId` holds: the CRM user id, else the login."""
        return self.crm_user_id or self.login

    @property
    def owner_ids(self) -> tuple[str, ...]:
        """The `userId` values of files this operator owns (before and after a CRM id)."""
        return tuple(dict.fromkeys((self.user_id, self.login)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "arn": self.arn,
            "name": self.name,
            "role": self.role,
            "crmUserId": self.crm_user_id,
            "listed": self.listed,
            "source": self.source,
        }


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def sandbox_identity(settings: Settings) -> Identity:
    """The sandbox trusts the overrides: they are how one tries each role."""
    return Identity(
        login=settings.depllc_user or os_login(),
        role=settings.depllc_role or "operator",
        crm_user_id=settings.depllc_crm_user_id,
        source="sandbox settings (DEPLLC_USER, DEPLLC_ROLE, DEPLLC_CRM_USER_ID)",
    )


def refuse_overrides(settings: Settings) -> None:
    """Connected mode: identity overrides would let anyone make themselves admin."""
    given = settings.identity_overrides
    if given:
        raise ConfigError(
            f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set, but identity "
            "overrides work only in the sandbox.",
            "Unset it: connected, who you are comes from AWS (`depllc operators whoami`).",
        )


def caller_arn(aws: AwsClients) -> str:
    return str(aws.client("sts").get_caller_identity()["Arn"])


def _entry(doc: dict[str, Any] | None) -> OperatorEntry | None:
    if doc is None:
        return None
    role = doc.get("role")
    # A hand-edited role the console does not know grants nothing more than operator.
    fixed = {**doc, "role": role if role in ROLES else "operator"}
    return OperatorEntry.model_validate(fixed)


def find(store: Store, arn: str) -> OperatorEntry | None:
    return _entry(store.operators.find_one({"arn": arn}))


def list_is_empty(store: Store) -> bool:
    return store.operators.count_documents({}, limit=1) == 0


def connected_identity(settings: Settings, aws: AwsClients, store: Store) -> Identity:
    """The caller's ARN mapped through the operators list."""
    refuse_overrides(settings)
    arn = caller_arn(aws)
    entry = find(store, arn)
    if entry is not None:
        return Identity(
            login=arn,
            role=entry.role,
            crm_user_id=entry.crmUserId,
            source="operators list",
            arn=arn,
            name=entry.name,
            listed=True,
        )
    if list_is_empty(store):
        return Identity(
            login=arn,
            role="operator",
            crm_user_id=settings.depllc_crm_user_id,
            source="no operators list yet (DEPLLC_CRM_USER_ID is used)",
            arn=arn,
        )
    return Identity(
        login=arn, role="operator", crm_user_id=None, source="not in the operators list", arn=arn
    )


# --- the list ----------------------------------------------------------------------


def check_arn(text: str) -> str:
    arn = text.strip()
    if not _ARN.fullmatch(arn):
        raise InputError(
            f"arn: {text[:80]!r} is not an IAM or STS ARN.",
            "Copy it from `depllc operators whoami` run by that person "
            "(e.g. arn:aws:sts::123456789012:assumed-role/Support/alice).",
        )
    return arn


def _check_text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > limit or not text.isprintable():
        raise InputError(f"{field}: must be 1-{limit} printable characters.")
    return text


def list_operators(store: Store) -> list[OperatorEntry]:
    entries = (_entry(doc) for doc in store.operators.find().sort("arn", 1))
    return [e for e in entries if e is not None]


def _admins(store: Store) -> int:
    return store.operators.count_documents({"role": "admin"})


def _may_change(runtime: Runtime, arn: str, role: Role | None) -> None:
    """Admins change the list; while it is empty, a caller may add themselves as admin."""
    me = runtime.whoami()
    if me.role == "admin":
        return
    if role == "admin" and me.arn is not None and me.arn == arn and list_is_empty(runtime.store):
        return
    hint = (
        "While the list is empty, add yourself first: "
        "`depllc operators add $(depllc operators whoami --arn) --role admin`."
        if list_is_empty(runtime.store)
        else "Ask an admin (`depllc operators list` shows them)."
    )
    raise NotAllowedError(f"Only an admin may change the operators list (you are {me.role}).", hint)


def add_operator(
    runtime: Runtime,
    arn: str,
    role: Role,
    crm_user_id: str | None = None,
    name: str | None = None,
) -> tuple[OperatorEntry, bool]:
    """Add or change one entry (audited); (entry, True when it was new)."""
    arn = check_arn(arn)
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}.")
    crm_user_id = _check_text(crm_user_id, "crm-user-id", CRM_ID_MAX)
    name = _check_text(name, "name", NAME_MAX)
    _may_change(runtime, arn, role)
    store = runtime.store
    before = find(store, arn)
    if before is not None and before.role == "admin" and role != "admin" and _admins(store) == 1:
        raise NotAllowedError(
            f"{arn} is the only admin; the list would have none.", "Add another admin first."
        )
    entry = OperatorEntry(
        arn=arn,
        role=role,
        crmUserId=crm_user_id if crm_user_id is not None else (before and before.crmUserId),
        name=name if name is not None else (before and before.name),
        addedAt=before.addedAt if before is not None else utcnow(),
        addedBy=before.addedBy if before is not None else runtime.operator,
    )
    doc = entry.to_mongo()
    store.operators.replace_one({"arn": arn}, doc, upsert=True)
    details: dict[str, Any] = {"role": role, "crmUserId": entry.crmUserId, "name": entry.name}
    if before is not None:
        details["before"] = {"role": before.role, "crmUserId": before.crmUserId}
    action = "operator-add" if before is None else "operator-change"
    audit.record(store, runtime.operator, action, arn, **details)
    return entry, before is None


def remove_operator(runtime: Runtime, arn: str) -> OperatorEntry:
    arn = check_arn(arn)
    _may_change(runtime, arn, None)
    store = runtime.store
    before = find(store, arn)
    if before is None:
        raise NotFoundError(f"{arn} is not in the operators list.", "See `depllc operators list`.")
    if before.role == "admin" and _admins(store) == 1:
        raise NotAllowedError(
            f"{arn} is the only admin; the list would have none.", "Add another admin first."
        )
    store.operators.delete_one({"arn": arn})
    audit.record(store, runtime.operator, "operator-remove", arn, role=before.role)
    return before
