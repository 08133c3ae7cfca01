"""Easy DKIM for the sender's domain: setup requests the tokens once and prints the three
CNAME records; a second run plans nothing; the doctor reports each DKIM state.

moto answers GetIdentityDkimAttributes with Success and tokens for any domain identity;
the other states (Pending, Failed, TemporaryFailure, NotStarted, signing off) are canned
answers through the Faults fixture, the rest of the account staying moto's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.aws import AwsClients
from core.config import Settings
from core.db import Store
from core.setup.apply import apply_plan, build_plan, make_context
from core.setup.dkim import dkim_records
from core.setup.doctor import Status, run_doctor
from core.setup.plan import Action, Plan, Step
from tests.core.setup.conftest import Faults, changed

DOMAIN = "depllc.example"
TOKENS = [
    "tok1aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "tok2bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "tok3cccccccccccccccccccccccccccc",
]

Plans = Callable[..., Plan]


@pytest.fixture
def plan_for(
    setup_settings: Settings, aws: AwsClients, empty_store: Store, config_path: Path
) -> Plans:
    def make(verify_domain: bool = False) -> Plan:
        ctx = make_context(
            setup_settings, aws, empty_store, config_path, verify_domain=verify_domain
        )
        return build_plan(ctx)

    return make


def cname_rows(text: str) -> list[tuple[str, ...]]:
    """(name, "CNAME", value) of each record line in printed text."""
    rows = [tuple(line.split()) for line in text.splitlines()]
    return [row for row in rows if len(row) == 3 and row[1] == "CNAME"]


def expected_rows(tokens: list[str]) -> list[tuple[str, ...]]:
    return [(f"{t}._domainkey.{DOMAIN}", "CNAME", f"{t}.dkim.amazonses.com") for t in tokens]


def dkim_steps(plan: Plan) -> list[Step]:
    return [s for s in plan.steps if s.resource == f"ses dkim {DOMAIN}"]


def answer_dkim(
    faults: Faults, aws: AwsClients, status: str, enabled: bool = True, tokens: bool = True
) -> None:
    attrs: dict[str, Any] = {"DkimEnabled": enabled, "DkimVerificationStatus": status}
    if tokens:
        attrs["DkimTokens"] = TOKENS
    body = {"DkimAttributes": {DOMAIN: attrs}, "ResponseMetadata": {"HTTPStatusCode": 200}}
    faults.answer(aws.ses, "GetIdentityDkimAttributes", body, 200)


@pytest.fixture
def ses_calls(aws: AwsClients) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every SES call made (name, params), recorded before it is sent."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_kwargs: Any) -> None:
        calls.append((model.name, dict(params)))

    event = "before-parameter-build.ses"
    aws.ses.meta.events.register(event, record)
    yield calls
    aws.ses.meta.events.unregister(event, record)


def test_the_records_are_the_documented_easy_dkim_cnames() -> None:
    (record,) = dkim_records(DOMAIN, ["abc123"])
    assert (record.name, record.type, record.value) == (
        "abc123._domainkey.depllc.example",
        "CNAME",
        "abc123.dkim.amazonses.com",
    )


def test_fresh_account_with_verify_domain_plans_dkim_applies_it_and_replans_nothing(
    plan_for: Plans, aws: AwsClients
) -> None:
    plan = plan_for(verify_domain=True)
    (step,) = dkim_steps(plan)
    assert step.action is Action.CREATE and step.records == []
    assert "request Easy DKIM tokens" in step.detail
    # the domain is requested first, then its DKIM tokens
    order = [s.resource for s in plan.changes]
    assert order.index(f"ses dkim {DOMAIN}") == order.index("ses sender noreply@depllc.example") + 1

    result = apply_plan(plan)
    (note,) = [n for n in result.notes if n.startswith(f"DKIM for {DOMAIN}")]
    tokens = aws.ses.get_identity_dkim_attributes(Identities=[DOMAIN])["DkimAttributes"][DOMAIN][
        "DkimTokens"
    ]
    assert len(tokens) == 3
    assert cname_rows(note) == expected_rows(tokens)
    assert [r.name for r in step.records] == [f"{t}._domainkey.{DOMAIN}" for t in tokens]

    again = plan_for(verify_domain=True)
    assert again.changes == [], again.render()
    (done,) = dkim_steps(again)
    assert done.action is Action.NONE and "Success" in done.current
    assert len(done.records) == 3  # kept for --json, not printed for a finished step
    assert "CNAME" not in again.render()


def test_an_address_sender_gets_no_dkim_step(plan_for: Plans, run_setup: Any) -> None:
    assert dkim_steps(plan_for()) == []
    run_setup()
    assert dkim_steps(plan_for()) == []


def test_an_existing_domain_identity_gets_dkim_without_the_flag(
    plan_for: Plans, aws: AwsClients, faults: Faults
) -> None:
    aws.ses.verify_domain_identity(Domain=DOMAIN)
    answer_dkim(faults, aws, "NotStarted", tokens=False)
    (step,) = dkim_steps(plan_for())
    assert step.action is Action.CREATE
    faults.undo()
    apply_plan(Plan([step]))
    assert len(step.records) == 3


def test_pending_is_a_warning_listing_the_records_not_a_change(
    plan_for: Plans, aws: AwsClients, faults: Faults
) -> None:
    aws.ses.verify_domain_identity(Domain=DOMAIN)
    answer_dkim(faults, aws, "Pending")
    plan = plan_for()
    (step,) = dkim_steps(plan)
    assert step.action is Action.NONE
    assert "publish the CNAME records below" in step.warning
    assert cname_rows(plan.render()) == expected_rows(TOKENS)
    assert ("ses dkim", "easy dkim") not in changed(plan)


def test_failed_restarts_verification_and_prints_the_records(
    plan_for: Plans,
    aws: AwsClients,
    faults: Faults,
    ses_calls: list[tuple[str, dict[str, Any]]],
) -> None:
    aws.ses.verify_domain_identity(Domain=DOMAIN)
    answer_dkim(faults, aws, "Failed")
    (step,) = dkim_steps(plan_for())
    assert step.action is Action.UPDATE and "Failed" in step.current
    assert "restart DKIM verification" in step.detail
    ses_calls.clear()
    result = apply_plan(Plan([step]))
    assert [name for name, _ in ses_calls] == ["VerifyDomainDkim"]
    assert "CNAME" in result.notes[0]


def test_signing_turned_off_is_turned_back_on(
    plan_for: Plans,
    aws: AwsClients,
    faults: Faults,
    ses_calls: list[tuple[str, dict[str, Any]]],
) -> None:
    aws.ses.verify_domain_identity(Domain=DOMAIN)
    answer_dkim(faults, aws, "Success", enabled=False)
    (step,) = dkim_steps(plan_for())
    assert step.action is Action.UPDATE and "signing turned off" in step.current
    # moto has no SetIdentityDkimEnabled: answer it, and check what was asked
    faults.answer(aws.ses, "SetIdentityDkimEnabled", {"ResponseMetadata": {}}, 200)
    ses_calls.clear()
    apply_plan(Plan([step]))
    ((name, params),) = ses_calls
    assert name == "SetIdentityDkimEnabled"
    assert params == {"Identity": DOMAIN, "DkimEnabled": True}


# --- the doctor -------------------------------------------------------------------


@pytest.fixture
def domain_sender(run_setup: Any, setup_settings: Settings, aws: AwsClients) -> Settings:
    """Provisioned, with the sender's domain an SES identity too."""
    run_setup()
    aws.ses.verify_domain_identity(Domain=DOMAIN)
    return setup_settings


@pytest.mark.parametrize(
    ("status", "enabled", "tokens", "expected", "detail", "fix"),
    [
        ("Success", True, True, Status.PASS, "Success, signing enabled (3 CNAME", ""),
        ("Pending", True, True, Status.WARN, "Pending", "depllc setup --dry-run` lists them"),
        ("NotStarted", True, False, Status.WARN, "not set up", "Run `depllc setup`"),
        ("Success", False, True, Status.WARN, "signing is turned off", "turn Easy DKIM"),
        ("Failed", True, True, Status.FAIL, "Failed", "restart the verification"),
        ("TemporaryFailure", True, True, Status.FAIL, "could not check", "still published"),
    ],
)
def test_doctor_reports_each_dkim_state(
    domain_sender: Settings,
    aws: AwsClients,
    empty_store: Store,
    faults: Faults,
    status: str,
    enabled: bool,
    tokens: bool,
    expected: Status,
    detail: str,
    fix: str,
) -> None:
    answer_dkim(faults, aws, status, enabled=enabled, tokens=tokens)
    report = run_doctor(domain_sender, aws, empty_store)
    check = report.get("dkim")
    assert check.status is expected, check
    assert detail in check.detail and DOMAIN in check.detail
    assert fix in check.fix
    if status in ("Pending", "Failed", "TemporaryFailure"):
        assert cname_rows(check.fix) == expected_rows(TOKENS)  # the records, in the fix
    if expected is Status.FAIL:
        assert report.failed == [check]  # nothing else is blamed
    else:
        assert report.ok


def test_doctor_passes_for_a_domain_on_moto(
    domain_sender: Settings, aws: AwsClients, empty_store: Store
) -> None:
    check = run_doctor(domain_sender, aws, empty_store).get("dkim")
    assert check.status is Status.PASS


def test_doctor_says_not_applicable_for_an_address_only_sender(
    run_setup: Any, setup_settings: Settings, aws: AwsClients, empty_store: Store
) -> None:
    run_setup()
    check = run_doctor(setup_settings, aws, empty_store).get("dkim")
    assert check.status is Status.WARN
    assert check.detail.startswith(f"not applicable: {DOMAIN} is not an SES identity")
    assert "amazonses.com" in check.detail
    assert "depllc setup --verify-domain" in check.fix


def test_a_denied_dkim_read_names_the_iam_action(
    domain_sender: Settings, aws: AwsClients, empty_store: Store, faults: Faults
) -> None:
    faults.fail(aws.ses, "GetIdentityDkimAttributes", "AccessDenied")
    check = run_doctor(domain_sender, aws, empty_store).get("dkim")
    assert check.status is Status.FAIL
    assert "ses:GetIdentityDkimAttributes" in check.detail
    assert "depllc iam-policy" in check.fix


def test_the_doctor_prints_a_multiline_fix_whole(
    domain_sender: Settings, aws: AwsClients, empty_store: Store, faults: Faults
) -> None:
    answer_dkim(faults, aws, "Pending")
    lines = run_doctor(domain_sender, aws, empty_store).render().splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("WARN  Sender domain DKIM")]
    assert "fix: Publish the 3 CNAME records" in lines[at + 1]
    assert [line.split()[0] for line in lines[at + 2 : at + 5]] == [
        f"{t}._domainkey.{DOMAIN}" for t in TOKENS
    ]


# --- the command line -----------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, mocked_aws: None) -> None:
    monkeypatch.setenv("AWS_S3_BUCKET", "depllc-dkim-cli")
    monkeypatch.setenv("AWS_SES_FROM_EMAIL", f"noreply@{DOMAIN}")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("MONGODB_URI", "mongomock://dkim-cli")
    monkeypatch.setenv("MONGODB_DB", "depllc")


def test_cli_setup_lists_the_cnames_then_doctor_passes(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli.main import main

    assert main(["setup", "--plan", "--verify-domain"]) == 0
    out = capsys.readouterr().out
    assert f"+ create  ses dkim {DOMAIN}" in out and "Dry run" in out

    assert main(["setup", "--yes", "--verify-domain"]) == 0
    out = capsys.readouterr().out
    assert f"DKIM for {DOMAIN}: publish these 3 CNAME records" in out
    cnames = cname_rows(out)
    assert len(cnames) == 3
    assert cnames == expected_rows([name.split(".", 1)[0] for name, _kind, _value in cnames])

    assert main(["setup", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["applied"] == [] and data["plan"]["records"] == data["records"]
    assert [r["name"] for r in data["records"]] == [name for name, _kind, _value in cnames]
    assert {r["type"] for r in data["records"]} == {"CNAME"}

    assert main(["doctor"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "DKIM" in x)
    assert line.startswith("PASS") and "Success" in line


def test_cli_setup_json_carries_the_new_records(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli.main import main

    assert main(["setup", "--yes", "--json", "--verify-domain"]) == 0
    data = json.loads(capsys.readouterr().out)
    (applied,) = [s for s in data["applied"] if s["resource"] == f"ses dkim {DOMAIN}"]
    assert len(applied["records"]) == 3
    assert [r for r in data["records"] if r["type"] == "CNAME"] == applied["records"]
    assert [r["type"] for r in data["records"]] == ["TXT", "CNAME", "CNAME", "CNAME"]
    assert any(n.startswith(f"DKIM for {DOMAIN}") for n in data["notes"])


def test_identities_are_read_once_per_plan_and_per_doctor_run(
    plan_for: Plans,
    domain_sender: Settings,
    aws: AwsClients,
    empty_store: Store,
    ses_calls: list[tuple[str, dict[str, Any]]],
) -> None:
    """SES allows one GetIdentityVerificationAttributes a second: sender and DKIM share it."""
    ses_calls.clear()
    assert dkim_steps(plan_for())  # the domain is an identity: DKIM is planned
    names = [name for name, _ in ses_calls]
    assert names.count("GetIdentityVerificationAttributes") == 1
    assert names.count("GetIdentityDkimAttributes") == 1
    ses_calls.clear()
    assert run_doctor(domain_sender, aws, empty_store).get("dkim").status is Status.PASS
    names = [name for name, _ in ses_calls]
    assert names.count("GetIdentityVerificationAttributes") == 1


def test_denied_identity_read_fails_the_sender_and_skips_dkim(
    domain_sender: Settings, aws: AwsClients, empty_store: Store, faults: Faults
) -> None:
    faults.fail(aws.ses, "GetIdentityVerificationAttributes", "AccessDenied")
    report = run_doctor(domain_sender, aws, empty_store)
    assert report.get("sender").status is Status.FAIL
    assert "ses:GetIdentityVerificationAttributes" in report.get("sender").detail
    assert report.get("dkim").status is Status.SKIP


def test_the_domain_verification_txt_record_travels_with_the_cnames(
    plan_for: Plans, aws: AwsClients, faults: Faults
) -> None:
    plan = plan_for(verify_domain=True)
    apply_plan(plan)
    (sender,) = [s for s in plan.steps if s.resource.startswith("ses sender")]
    (txt,) = sender.records
    assert (txt.name, txt.type) == (f"_amazonses.{DOMAIN}", "TXT") and txt.value
    assert [r.type for r in plan.records] == ["TXT", "CNAME", "CNAME", "CNAME"]

    # pending: the warning points at the record, printed once under it
    body = {
        "VerificationAttributes": {
            DOMAIN: {"VerificationStatus": "Pending", "VerificationToken": "tXtToken="}
        },
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    faults.answer(aws.ses, "GetIdentityVerificationAttributes", body, 200)
    pending = plan_for()
    (sender,) = [s for s in pending.steps if s.resource.startswith("ses sender")]
    assert "publish the TXT record below" in sender.warning
    rows = [line.split() for line in pending.render().splitlines()]
    assert rows.count([f"_amazonses.{DOMAIN}", "TXT", "tXtToken="]) == 1
