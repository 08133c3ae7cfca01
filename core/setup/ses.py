"""SES: the sender identity (address or its domain) and its verification status, the
configuration set, and its SNS event destination for every event type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.setup.awserr import has_code
from core.setup.context import SetupContext
from core.setup.plan import Action, DnsRecord, Step, format_records
from core.setup.targets import EVENT_DESTINATION, Targets

# Every event type of the SES (v1) API's EventType enum; a test keeps this in step
# with botocore's service model.
ALL_EVENT_TYPES = (
    "send",
    "reject",
    "bounce",
    "complaint",
    "delivery",
    "open",
    "click",
    "renderingFailure",
)


@dataclass(frozen=True)
class SenderStatus:
    """`verified` / `pending` / `failed` / `missing`, for the address or its domain."""

    state: str
    identity: str  # the identity the state is about
    token: str | None = None  # a domain's TXT verification token

    def describe(self) -> str:
        kind = "domain" if "@" not in self.identity else "address"
        return f"{self.state} ({kind} {self.identity})"


def read_identities(ses: Any, t: Targets) -> dict[str, Any]:
    """Verification attributes of the address and its domain, by identity; SES lists
    only the identities that exist. (One call: SES allows one a second.)"""
    response = ses.get_identity_verification_attributes(Identities=[t.sender, t.sender_domain])
    return dict(response.get("VerificationAttributes", {}))


def sender_status(ses: Any, t: Targets, identities: dict[str, Any] | None = None) -> SenderStatus:
    """The best status among the address and its domain (a verified domain covers
    every address in it)."""
    attrs = read_identities(ses, t) if identities is None else identities
    found = {
        name: str(attrs[name].get("VerificationStatus", ""))
        for name in (t.sender, t.sender_domain)
        if name in attrs
    }
    for wanted, state in (("Success", "verified"), ("Pending", "pending")):
        for name, status in found.items():
            if status == wanted:
                token = attrs[name].get("VerificationToken") if "@" not in name else None
                return SenderStatus(state, name, token)
    if found:
        name, status = next(iter(found.items()))
        return SenderStatus("failed", name) if status else SenderStatus("missing", t.sender)
    return SenderStatus("missing", t.sender)


def verification_record(domain: str, token: str | None) -> DnsRecord:
    """The TXT record that proves the domain is ours (VerifyDomainIdentity's token)."""
    return DnsRecord(f"_amazonses.{domain}", "TXT", token or "<token>")


def domain_record(domain: str, token: str | None) -> str:
    record = verification_record(domain, token)
    return f"publish the DNS record: {record.name} {record.type} {record.value}"


def plan_sender(ctx: SetupContext) -> list[Step]:
    t = ctx.targets
    ses = ctx.aws.ses
    status = sender_status(ses, t, ctx.identities())
    resource = f"ses sender {t.sender}"
    if status.state == "verified":
        return [Step(resource, "verification", status.describe(), Action.NONE)]
    if status.state == "pending":
        is_domain = "@" not in status.identity
        how = (
            "publish the TXT record below"  # (printed under the warning, and in --json)
            if is_domain
            else f"open the link AWS emailed to {status.identity}"
        )
        return [
            Step(
                resource,
                "verification",
                status.describe(),
                Action.NONE,
                "requested",
                warning=f"Verification pending: {how}; `depllc doctor` shows when it is done.",
                records=[verification_record(status.identity, status.token)] if is_domain else [],
            )
        ]
    domain = ctx.verify_domain
    target = t.sender_domain if domain else t.sender

    step = Step(
        resource,
        "verification",
        status.describe(),
        Action.CREATE if status.state == "missing" else Action.UPDATE,
        f"request verification of {'domain' if domain else 'address'} {target}",
    )

    def request() -> str:
        if domain:
            token = ses.verify_domain_identity(Domain=t.sender_domain).get("VerificationToken")
            step.records = [verification_record(t.sender_domain, token)]
            return (
                f"Domain {t.sender_domain}: publish this TXT record at its DNS host to verify "
                f"it:\n{format_records(step.records)}"
            )
        ses.verify_email_identity(EmailAddress=t.sender)
        return f"AWS emailed a verification link to {t.sender}: open it to verify the sender."

    step.apply = request
    return [step]


def read_event_destinations(ses: Any, config_set: str) -> list[dict[str, Any]] | None:
    """The configuration set's event destinations, or None when the set is missing."""
    try:
        response = ses.describe_configuration_set(
            ConfigurationSetName=config_set, ConfigurationSetAttributeNames=["eventDestinations"]
        )
    except Exception as exc:
        if has_code(exc, "ConfigurationSetDoesNotExist", "ConfigurationSetDoesNotExistException"):
            return None
        raise
    return [dict(d) for d in response.get("EventDestinations", [])]


def sns_destination(destinations: list[dict[str, Any]], topic_arn: str) -> dict[str, Any] | None:
    """The destination publishing to our topic (ours by name first)."""
    matching = [d for d in destinations if d.get("SNSDestination", {}).get("TopicARN") == topic_arn]
    matching.sort(key=lambda d: d.get("Name") != EVENT_DESTINATION)
    return matching[0] if matching else None


def missing_event_types(destination: dict[str, Any]) -> list[str]:
    have = set(destination.get("MatchingEventTypes", []))
    return [e for e in ALL_EVENT_TYPES if e not in have]


def plan_configuration_set(ctx: SetupContext) -> list[Step]:
    t = ctx.targets
    ses = ctx.aws.ses
    topic_arn = ctx.arns.topic
    resource = f"ses configuration set {t.config_set}"
    destinations = read_event_destinations(ses, t.config_set)
    steps: list[Step] = []
    if destinations is None:

        def create_set() -> None:
            try:
                ses.create_configuration_set(ConfigurationSet={"Name": t.config_set})
            except Exception as exc:
                if not has_code(exc, "ConfigurationSetAlreadyExists"):
                    raise

        steps.append(
            Step(resource, "configuration set", "missing", Action.CREATE, apply=create_set)
        )
    else:
        steps.append(Step(resource, "configuration set", "exists", Action.NONE))

    ours = sns_destination(destinations or [], topic_arn)
    aspect = "event destination"
    if ours is not None and ours.get("Enabled") and not missing_event_types(ours):
        steps.append(Step(resource, aspect, f"{ours.get('Name')}: all events -> SNS", Action.NONE))
        return steps
    if ours is None:

        def create_destination() -> None:
            ses.create_configuration_set_event_destination(
                ConfigurationSetName=t.config_set,
                EventDestination={
                    "Name": EVENT_DESTINATION,
                    "Enabled": True,
                    "MatchingEventTypes": list(ALL_EVENT_TYPES),
                    "SNSDestination": {"TopicARN": topic_arn},
                },
            )

        steps.append(
            Step(
                resource,
                aspect,
                "no SNS destination to the events topic" if destinations is not None else "-",
                Action.CREATE,
                f"{EVENT_DESTINATION}: all event types -> sns {t.topic}",
                apply=create_destination,
            )
        )
        return steps
    missing = missing_event_types(ours)
    name = str(ours.get("Name"))
    types = [*ours.get("MatchingEventTypes", []), *missing]

    def update_destination() -> None:
        ses.update_configuration_set_event_destination(
            ConfigurationSetName=t.config_set,
            EventDestination={
                "Name": name,
                "Enabled": True,
                "MatchingEventTypes": types,
                "SNSDestination": {"TopicARN": topic_arn},
            },
        )

    problems = ([] if ours.get("Enabled") else ["disabled"]) + (
        [f"missing {', '.join(missing)}"] if missing else []
    )
    steps.append(
        Step(
            resource,
            aspect,
            f"{name}: {'; '.join(problems)}",
            Action.UPDATE,
            "enable with all event types",
            apply=update_destination,
        )
    )
    return steps
