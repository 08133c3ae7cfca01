"""Easy DKIM for the sender's domain: SES signs the mail as the domain itself (what
DMARC alignment wants) once the three CNAME records it names are published. Setup
requests the tokens once, restarts a verification SES gave up on, and turns signing
back on if it was turned off; the doctor reports where it stands.

It applies when the sender's domain is an SES identity, or is being made one
(`depllc setup --verify-domain`). With only the address verified, SES signs as
amazonses.com and there are no records of ours to publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.setup.context import SetupContext
from core.setup.plan import Action, DnsRecord, Step, format_records

# Where the CNAME records point (the SES API reference for VerifyDomainDkim).
DKIM_TARGET = "dkim.amazonses.com"
LIST_RECORDS = "`depllc setup --dry-run` lists them"
LOOK_HOURS = 72  # how long SES looks for the records before it gives up (Failed)


def dkim_records(domain: str, tokens: tuple[str, ...] | list[str]) -> list[DnsRecord]:
    """`<token>._domainkey.<domain>  CNAME  <token>.dkim.amazonses.com`, per token."""
    return [DnsRecord(f"{t}._domainkey.{domain}", "CNAME", f"{t}.{DKIM_TARGET}") for t in tokens]


@dataclass(frozen=True)
class DkimState:
    """GetIdentityDkimAttributes for the domain, in words setup and doctor share."""

    domain: str
    status: str  # Pending | Success | Failed | TemporaryFailure | NotStarted
    enabled: bool  # signing on (SES's default once tokens exist)
    tokens: tuple[str, ...]

    @property
    def started(self) -> bool:
        return bool(self.tokens) and self.status != "NotStarted"

    @property
    def records(self) -> list[DnsRecord]:
        return dkim_records(self.domain, self.tokens)


def read_dkim(ses: Any, domain: str) -> DkimState:
    response = ses.get_identity_dkim_attributes(Identities=[domain])
    attrs: dict[str, Any] = response.get("DkimAttributes", {}).get(domain, {})
    tokens = tuple(str(t) for t in attrs.get("DkimTokens") or ())
    return DkimState(
        domain=domain,
        status=str(attrs.get("DkimVerificationStatus") or "NotStarted"),
        enabled=bool(attrs.get("DkimEnabled", True)),
        tokens=tokens,
    )


def publish_note(domain: str, records: list[DnsRecord]) -> str:
    """What setup prints after requesting tokens (the records, one per line)."""
    return (
        f"DKIM for {domain}: publish these {len(records)} CNAME records at its DNS host "
        f"(SES looks for them for {LOOK_HOURS} hours; `depllc doctor` shows when it finds "
        f"them):\n{format_records(records)}"
    )


def plan_dkim(ctx: SetupContext) -> list[Step]:
    t = ctx.targets
    ses = ctx.aws.ses
    domain = t.sender_domain
    if not ctx.verify_domain and domain not in ctx.identities():
        return []  # an address identity: SES signs as amazonses.com (the doctor says so)
    state = read_dkim(ses, domain)
    resource = f"ses dkim {domain}"
    aspect = "easy dkim"

    def request_tokens(step: Step) -> None:
        def request() -> str:
            tokens = ses.verify_domain_dkim(Domain=domain).get("DkimTokens", [])
            step.records = dkim_records(domain, tokens)
            return publish_note(domain, step.records)

        step.apply = request

    if not state.started:
        step = Step(
            resource,
            aspect,
            "not set up: mail is signed as amazonses.com",
            Action.CREATE,
            "request Easy DKIM tokens (3 CNAME records to publish)",
        )
        request_tokens(step)
        return [step]
    records = state.records
    if state.status == "Failed":
        step = Step(
            resource,
            aspect,
            f"Failed: SES did not find the CNAME records within {LOOK_HOURS} hours",
            Action.UPDATE,
            "restart DKIM verification (publish the records first)",
            records=records,
        )
        request_tokens(step)
        return [step]
    pending = (
        "DKIM pending: publish the CNAME records below; `depllc doctor` shows when SES finds them."
        if state.status == "Pending"
        else ""
    )
    if not state.enabled:

        def enable() -> None:
            ses.set_identity_dkim_enabled(Identity=domain, DkimEnabled=True)

        return [
            Step(
                resource,
                aspect,
                f"{state.status}, signing turned off",
                Action.UPDATE,
                "turn DKIM signing on",
                apply=enable,
                warning=pending,
                records=records,
            )
        ]
    if state.status == "Success":
        return [
            Step(resource, aspect, "Success: signing as " + domain, Action.NONE, records=records)
        ]
    if state.status == "TemporaryFailure":
        warning = (
            "SES could not check the DKIM records just now (TemporaryFailure): make sure "
            "the CNAME records below are still published; SES retries by itself."
        )
    else:
        warning = pending or f"DKIM status {state.status}: check the CNAME records below."
    return [
        Step(
            resource,
            aspect,
            f"{state.status}: SES has not confirmed the CNAME records",
            Action.NONE,
            warning=warning,
            records=records,
        )
    ]
