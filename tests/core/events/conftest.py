"""Fixtures for the events tests: the provisioned SNS topic -> SQS queue in moto, a
consumer on it, and helpers to publish SES events like SES does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from core.db import Store
from core.events.consumer import EventConsumer
from core.runtime import Runtime
from core.sandbox import SANDBOX_TOPIC


@pytest.fixture
def queue_url(runtime: Runtime) -> str:
    url = runtime.settings.ses_events_queue_url
    assert url
    return url


@pytest.fixture
def topic_arn(runtime: Runtime) -> str:
    arn: str = runtime.aws.sns.create_topic(Name=SANDBOX_TOPIC)["TopicArn"]
    return arn


@pytest.fixture
def publish(runtime: Runtime, topic_arn: str) -> Callable[[dict[str, Any]], None]:
    """Publish one SES event to the topic: it reaches the queue in an SNS envelope."""

    def _publish(event: dict[str, Any]) -> None:
        runtime.aws.sns.publish(TopicArn=topic_arn, Message=json.dumps(event))

    return _publish


@pytest.fixture
def make_consumer(runtime: Runtime, queue_url: str) -> Callable[..., EventConsumer]:
    def _make(store: Store | None = None, **options: Any) -> EventConsumer:
        options.setdefault("wait_seconds", 0)
        return EventConsumer(runtime.aws.sqs, queue_url, store or runtime.store, **options)

    return _make


def queue_depth(runtime: Runtime, queue_url: str) -> int:
    attrs = runtime.aws.sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )
