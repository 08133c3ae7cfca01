"""`depllc setup`: read the account and the database, build the whole plan (nothing is
changed while planning), then apply only the steps that need it, in order. A second
run finds nothing to do; a partly provisioned account gets only what is missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.aws import AwsClients
from core.config import Settings
from core.db import Store
from core.errors import ConfigError, DepllcError, ServiceError
from core.paths import default_config_file
from core.setup.context import SetupContext, caller_account
from core.setup.plan import Plan, Step
from core.setup.targets import Targets

Progress = Callable[[str], None]


@dataclass
class ApplyResult:
    applied: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_region(settings: Settings, aws: AwsClients) -> None:
    """Refuse a region without SES before anything else (unless an endpoint is set)."""
    if aws.endpoint_url:
        return
    regions = aws.session.get_available_regions("ses")
    if regions and settings.aws_region not in regions:
        raise ConfigError(
            f"SES is not available in {settings.aws_region}.",
            "Set AWS_REGION to an SES region, e.g. us-east-1, eu-west-1 or ap-southeast-2.",
        )


def make_context(
    settings: Settings,
    aws: AwsClients,
    store: Store,
    config_file: Path | None = None,
    verify_domain: bool = False,
    write_config: bool = True,
) -> SetupContext:
    targets = Targets.from_settings(settings)
    check_region(settings, aws)
    account, _ = caller_account(aws)
    return SetupContext(
        settings=settings,
        aws=aws,
        store=store,
        targets=targets,
        account=account,
        config_file=(config_file or default_config_file()) if write_config else None,
        verify_domain=verify_domain,
    )


def build_plan(ctx: SetupContext) -> Plan:
    """Inspect everything; apply functions capture what they need."""
    from core.setup.bucket import plan_bucket
    from core.setup.config_file import plan_config_file
    from core.setup.database import plan_database
    from core.setup.dkim import plan_dkim
    from core.setup.events import plan_events
    from core.setup.ses import plan_configuration_set, plan_sender

    plan = Plan()
    # The database first: an unreachable MongoDB stops setup before any AWS change;
    # the events topic before the configuration set's destination that points at it.
    parts: list[tuple[str, Callable[[SetupContext], list[Step]]]] = [
        ("the database", plan_database),
        ("the bucket", plan_bucket),
        ("the SES sender", plan_sender),
        ("the sender domain's DKIM", plan_dkim),
        ("the events topic and queues", plan_events),
        ("the SES configuration set", plan_configuration_set),
        ("the config file", plan_config_file),
    ]
    for what, part in parts:
        try:
            plan.add(part(ctx))
        except DepllcError:
            raise
        except Exception as exc:
            from core.setup.awserr import explain

            raise ServiceError(
                f"Cannot read {what}: {explain(exc)}", "Nothing was changed."
            ) from exc
    return plan


def apply_plan(plan: Plan, progress: Progress | None = None) -> ApplyResult:
    """Run the changing steps in order; stop at the first failure, saying which step
    failed (what was done stays done; rerunning completes the rest)."""
    say = progress or (lambda _text: None)
    result = ApplyResult()
    for step in plan.changes:
        assert step.apply is not None, f"{step.resource} {step.aspect} has no apply"
        say(f"{step.action.value} {step.resource}: {step.aspect}")
        try:
            note = step.apply()
        except DepllcError:
            raise
        except Exception as exc:
            from core.setup.awserr import explain

            raise ServiceError(
                f"Setup stopped at {step.resource} ({step.aspect}): {explain(exc)}",
                f"{len(result.applied)} earlier changes were made and are kept; "
                "fix the cause and rerun `depllc setup` to finish.",
            ) from exc
        result.applied.append(step)
        if note:
            result.notes.append(note)
    return result
