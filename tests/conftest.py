"""Shared fixtures: moto for AWS, mongomock (or a real MongoDB when MONGODB_URI points
at one) for the store, isolated config/state dirs, and a provisioned runtime."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from core.aws import AwsClients
from core.config import Settings
from core.db import MOCK_SCHEME, Store, connect
from core.identity import Identity
from core.runtime import Runtime

# Property tests draw the same examples on every run: `make test` is not failed by a new
# random find (hunting for new ones is a deliberate run with derandomize off).
hypothesis_settings.register_profile("depllc", derandomize=True)
hypothesis_settings.load_profile("depllc")

TEST_BUCKET = "depllc-test-files"
# Who the `runtime` fixture acts as (connected mode would ask STS and the operators list).
TESTER = Identity(login="tester", role="operator", crm_user_id=None, source="test")
# The store the suite runs against, read once: tests then see no MONGODB_* variables, so
# settings tests are not steered by the developer's (or `make test`'s) environment.
TEST_MONGODB_URI = os.environ.get("MONGODB_URI") or MOCK_SCHEME


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's AWS profile, config file or journal."""
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_PROFILE",
        "AWS_SES_FROM_EMAIL",
        "AWS_S3_BUCKET",
        "SES_EVENTS_QUEUE_URL",
        "DEPLLC_SANDBOX",
        "DEPLLC_USER",
        "DEPLLC_ROLE",
        "DEPLLC_CRM_USER_ID",
        "MONGODB_URI",
        "MONGODB_DB",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("DEPLLC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DEPLLC_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def mongo_uri() -> str:
    return TEST_MONGODB_URI


@pytest.fixture
def store(mongo_uri: str) -> Iterator[Store]:
    """A fresh database per test: mongomock, or a uniquely named one on a real server."""
    name = f"depllc_test_{uuid.uuid4().hex[:10]}"
    s = connect(mongo_uri, name)
    s.ensure_indexes()
    yield s
    if not s.is_mock:
        s.db.client.drop_database(name)


SERVER_LIKE_URI = "mongodb://db.test:27017"


def server_like(store: Store) -> Store:
    """The test store as the journal sees a MongoDB server: a mongomock database under
    a server's URI (no MongoDB server can be installed here); a real one as it is."""
    if not store.is_mock:
        return store
    return Store(db=store.db, uri_label=SERVER_LIKE_URI)


@pytest.fixture
def settings(store: Store, mongo_uri: str) -> Settings:
    return Settings.model_validate(
        {
            "aws_region": "us-east-1",
            "aws_ses_from_email": "noreply@depllc.example",
            "aws_ses_reply_to": "support@depllc.example",
            "ses_configuration_set": "depllc-crm-emails",
            "aws_s3_bucket": TEST_BUCKET,
            "mongodb_uri": mongo_uri,
            "mongodb_db": store.db.name,
            "ses_max_send_rate": 1000.0,
        }
    )


@pytest.fixture
def mocked_aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def runtime(settings: Settings, store: Store, mocked_aws: None) -> Iterator[Runtime]:
    """Services over moto (provisioned like the sandbox: bucket, identities, queue,
    configuration set, templates) and the test store; no seed data."""
    from core.sandbox import provision

    aws = AwsClients(settings)
    queue_url = provision(aws, settings)
    settings = settings.model_copy(update={"ses_events_queue_url": queue_url})
    aws.settings = settings
    rt = Runtime(settings=settings, aws=aws, store=store, identity=TESTER)
    yield rt
    rt.close()
