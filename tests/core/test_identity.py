"""Who the operator is comes from something that cannot be typed in: the AWS caller
identity mapped through the admin-managed operators list (issue 12 item 9), which also
gives the CRM user id written on console records (issue 11 item 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.aws import AwsClients
from core.config import Settings
from core.db import Store
from core.errors import ConfigError, InputError, NotFoundError
from core.identity import NotAllowedError, add_operator, list_operators, remove_operator
from core.runtime import Runtime, open_runtime
from tui.cli.main import main

MOTO_ARN = "arn:aws:sts::123456789012:user/moto"  # moto's caller identity
ALICE = "arn:aws:sts::123456789012:assumed-role/Support/alice@depllc.example"
BOB = "arn:aws:iam::123456789012:user/bob"


@pytest.fixture
def connected(settings: Settings, store: Store, mocked_aws: None) -> Iterator[Runtime]:
    """A connected runtime whose identity is resolved as in production (STS + list)."""
    rt = Runtime(settings=settings, aws=AwsClients(settings), store=store)
    yield rt
    rt.close()


def fresh(rt: Runtime) -> Runtime:
    """The same services, identity resolved again (a new command)."""
    return Runtime(settings=rt.settings, aws=rt.aws, store=rt.store)


def test_an_unknown_caller_is_an_operator_without_a_crm_user(connected: Runtime) -> None:
    add_bootstrap_admin(connected)
    other = fresh(connected)
    other.store.operators.delete_many({})
    other.store.operators.insert_one(
        {"arn": BOB, "role": "admin", "addedBy": "x", "addedAt": "2026-01-01"}
    )
    me = other.whoami()
    assert (me.login, me.arn, me.role, me.crm_user_id) == (MOTO_ARN, MOTO_ARN, "operator", None)
    assert me.source == "not in the operators list"


def add_bootstrap_admin(rt: Runtime) -> None:
    entry, created = add_operator(rt, MOTO_ARN, "admin", crm_user_id="64f0c0ffee", name="Me")
    assert created and entry.role == "admin"


def test_while_the_list_is_empty_only_the_caller_may_add_themselves_as_admin(
    connected: Runtime,
) -> None:
    with pytest.raises(NotAllowedError, match="Only an admin"):
        add_operator(connected, BOB, "admin")  # someone else
    with pytest.raises(NotAllowedError, match="add yourself first"):
        add_operator(connected, MOTO_ARN, "support")  # not as admin
    assert list_operators(connected.store) == []
    add_bootstrap_admin(connected)
    me = fresh(connected).whoami()
    assert (me.role, me.crm_user_id, me.name, me.listed) == ("admin", "64f0c0ffee", "Me", True)
    (entry,) = connected.store.auditlog.find({"action": "operator-add"})
    assert entry["target"] == MOTO_ARN and entry["operator"] == MOTO_ARN
    assert entry["details"]["role"] == "admin"


def test_only_an_admin_changes_the_list_and_never_removes_the_last_admin(
    connected: Runtime,
) -> None:
    add_bootstrap_admin(connected)
    admin = fresh(connected)
    add_operator(admin, ALICE, "support", crm_user_id="65a1")
    changed, created = add_operator(admin, ALICE, "operator")  # a change keeps the CRM id
    assert not created and changed.role == "operator" and changed.crmUserId == "65a1"
    actions = [e["action"] for e in admin.store.auditlog.find().sort("at", 1)]
    assert actions == ["operator-add", "operator-add", "operator-change"]

    with pytest.raises(NotAllowedError, match="only admin"):
        remove_operator(admin, MOTO_ARN)
    with pytest.raises(NotAllowedError, match="only admin"):
        add_operator(admin, MOTO_ARN, "operator")
    with pytest.raises(NotFoundError):
        remove_operator(admin, BOB)

    # Demoted by another admin, the caller can no longer change anything.
    admin.store.operators.update_one({"arn": MOTO_ARN}, {"$set": {"role": "support"}})
    demoted = fresh(connected)
    assert demoted.role == "support"
    with pytest.raises(NotAllowedError, match="you are support"):
        add_operator(demoted, BOB, "admin")
    with pytest.raises(NotAllowedError):
        remove_operator(demoted, ALICE)


def test_a_hand_edited_role_grants_nothing(connected: Runtime) -> None:
    connected.store.operators.insert_one(
        {"arn": MOTO_ARN, "role": "superuser", "addedBy": "db", "addedAt": "2026-01-01"}
    )
    assert connected.role == "operator"


def test_bad_arn_and_fields_are_field_errors(connected: Runtime) -> None:
    add_bootstrap_admin(connected)
    for arn in ("alice", "arn:aws:s3:::bucket", "arn:aws:iam::12:user/x", ""):
        with pytest.raises(InputError, match="arn: "):
            add_operator(connected, arn, "operator")
    with pytest.raises(InputError, match="crm-user-id: "):
        add_operator(connected, BOB, "operator", crm_user_id="a\x1b]52;c;x\x07")
    with pytest.raises(InputError, match="role: "):
        add_operator(connected, BOB, "root")  # type: ignore[arg-type]


def test_the_crm_user_id_setting_counts_only_while_the_list_is_empty(
    settings: Settings, store: Store, mocked_aws: None
) -> None:
    single = settings.model_copy(update={"depllc_crm_user_id": "64f0single"})
    rt = Runtime(settings=single, aws=AwsClients(single), store=store)
    assert rt.crm_user_id == "64f0single"
    add_operator(rt, MOTO_ARN, "admin")  # the list starts: the entry decides
    later = fresh(rt)
    assert later.crm_user_id is None and later.role == "admin"


def test_identity_overrides_are_refused_in_connected_mode(
    settings: Settings, mocked_aws: None
) -> None:
    for update in ({"depllc_role": "admin"}, {"depllc_user": "root"}):
        with pytest.raises(ConfigError, match="only in the sandbox") as caught:
            open_runtime(settings.model_copy(update=update))
        assert caught.value.exit_code == 2


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, mocked_aws: None, store: Store) -> Store:
    """`depllc` commands in connected mode over a named in-process store and moto."""
    uri = f"mongomock://identity-{store.db.name}"
    monkeypatch.setenv("MONGODB_URI", uri)
    monkeypatch.setenv("MONGODB_DB", "crm")
    monkeypatch.setenv("AWS_S3_BUCKET", "crm-files")
    from core.db import connect

    return connect(uri, "crm")


def test_the_operators_commands(cli_env: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operators", "whoami", "--json"]) == 0
    me = json.loads(capsys.readouterr().out)
    assert me == {
        "login": MOTO_ARN,
        "arn": MOTO_ARN,
        "name": None,
        "role": "operator",
        "crmUserId": None,
        "listed": False,
        "source": "no operators list yet (DEPLLC_CRM_USER_ID is used)",
    }
    assert main(["operators", "whoami", "--arn"]) == 0
    assert capsys.readouterr().out == MOTO_ARN + "\n"

    assert main(["operators", "add", BOB, "--role", "admin"]) == 1
    assert "add yourself first" in capsys.readouterr().err
    assert main(["operators", "add", MOTO_ARN, "--role", "admin", "--crm-user-id", "64f0"]) == 0
    assert capsys.readouterr().out.startswith(f"added: {MOTO_ARN} as admin, CRM user 64f0")
    args = ["operators", "add", ALICE, "--role", "support", "--name", "Alice", "--json"]
    assert main(args) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["created"] and added["role"] == "support" and added["addedBy"] == MOTO_ARN

    assert main(["operators", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["arn"], e["role"]) for e in listed] == [(ALICE, "support"), (MOTO_ARN, "admin")]
    assert main(["operators", "list"]) == 0
    assert "Alice" in capsys.readouterr().out

    assert main(["operators", "remove", ALICE, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"]
    assert main(["operators", "add", "not-an-arn", "--role", "support"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "arn: 'not-an-arn' is not an IAM or STS ARN" in err
    with pytest.raises(SystemExit) as usage:  # argparse's choices: one line, exit 2
        main(["operators", "add", ALICE, "--role", "root"])
    assert usage.value.code == 2 and "invalid choice: 'root'" in capsys.readouterr().err

    assert main(["operators", "whoami"]) == 0
    out = capsys.readouterr().out
    assert "role:        admin" in out and "CRM user id: 64f0" in out
    assert cli_env.auditlog.count_documents({"action": {"$regex": "^operator-"}}) == 3


def test_a_role_in_the_environment_is_refused_with_one_line(
    cli_env: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEPLLC_ROLE", "admin")
    assert main(["files", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "DEPLLC_ROLE is set, but identity overrides work only in the sandbox" in err


def test_the_sandbox_honours_the_overrides() -> None:
    from core.identity import sandbox_identity

    settings = Settings.model_validate(
        {"sandbox": True, "depllc_user": "maria", "depllc_role": "support"}
    )
    me = sandbox_identity(settings)
    assert (me.login, me.role, me.crm_user_id) == ("maria", "support", None)
    with_crm = settings.model_copy(update={"depllc_crm_user_id": "64f0maria"})
    assert sandbox_identity(with_crm).user_id == "64f0maria"
