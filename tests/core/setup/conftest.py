"""Setup/doctor fixtures: an empty moto account, an empty database (no indexes), the
settings naming them, and a fault injector that makes one AWS operation fail."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.aws import AwsClients
from core.config import Settings
from core.db import Store, connect
from core.setup.apply import ApplyResult, apply_plan, build_plan, make_context
from core.setup.context import SetupContext
from core.setup.plan import Plan

BUCKET = "depllc-setup-test"


@pytest.fixture
def empty_store(mongo_uri: str) -> Iterator[Store]:
    """A database with no collections and no indexes."""
    name = f"depllc_setup_{uuid.uuid4().hex[:10]}"
    store = connect(mongo_uri, name)
    yield store
    if not store.is_mock:
        store.db.client.drop_database(name)


@pytest.fixture
def setup_settings(empty_store: Store, mongo_uri: str) -> Settings:
    return Settings.model_validate(
        {
            "aws_region": "us-east-1",
            "aws_ses_from_email": "noreply@depllc.example",
            "ses_configuration_set": "depllc-crm-emails",
            "aws_s3_bucket": BUCKET,
            "mongodb_uri": mongo_uri,
            "mongodb_db": empty_store.db.name,
        }
    )


@pytest.fixture
def aws(setup_settings: Settings, mocked_aws: None) -> AwsClients:
    return AwsClients(setup_settings)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.toml"


@pytest.fixture
def new_context(
    setup_settings: Settings, aws: AwsClients, empty_store: Store, config_path: Path
) -> Callable[..., SetupContext]:
    def make(**overrides: Any) -> SetupContext:
        settings = setup_settings.model_copy(update=overrides) if overrides else setup_settings
        return make_context(settings, aws, empty_store, config_file=config_path)

    return make


@pytest.fixture
def run_setup(new_context: Callable[..., SetupContext]) -> Callable[[], tuple[Plan, ApplyResult]]:
    def run() -> tuple[Plan, ApplyResult]:
        plan = build_plan(new_context())
        return plan, apply_plan(plan)

    return run


def changed(plan: Plan) -> set[tuple[str, str]]:
    """(resource kind, aspect) of each changing step, e.g. ("s3 bucket", "versioning")."""
    return {(" ".join(s.resource.split()[:2]), s.aspect) for s in plan.changes}


class Faults:
    """Make an operation of a client answer with an error (or a canned response),
    through botocore's before-call event: the rest of the client stays real (moto)."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def answer(self, client: Any, operation: str, parsed: dict[str, Any], status: int) -> None:
        service = client.meta.service_model.service_id.hyphenize()

        def handler(**_kwargs: Any) -> tuple[Any, dict[str, Any]]:
            http = SimpleNamespace(status_code=status, headers={}, content=b"")
            return http, parsed

        event = f"before-call.{service}.{operation}"
        client.meta.events.register(event, handler)
        self._undo.append(lambda: client.meta.events.unregister(event, handler))

    def fail(self, client: Any, operation: str, code: str, status: int = 403) -> None:
        error = {"Error": {"Code": code, "Message": f"{code} (injected)"}}
        self.answer(
            client, operation, {**error, "ResponseMetadata": {"HTTPStatusCode": status}}, status
        )

    def undo(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


@pytest.fixture
def faults() -> Iterator[Faults]:
    f = Faults()
    yield f
    f.undo()
