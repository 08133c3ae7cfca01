"""SES events plumbing: the SNS topic, the SQS queue with its dead-letter queue and
redrive policy, the topic -> queue subscription, and a queue policy that lets only
that topic send to the queue (aws:SourceArn)."""

from __future__ import annotations

import json
from typing import Any

from core.setup.awserr import has_code
from core.setup.context import SetupContext
from core.setup.plan import Action, Step
from core.setup.targets import (
    DLQ_MAX_RECEIVE,
    DLQ_RETENTION_SECONDS,
    QUEUE_POLICY_SID,
    Arns,
)


def queue_statement(arns: Arns) -> dict[str, Any]:
    return {
        "Sid": QUEUE_POLICY_SID,
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arns.queue,
        "Condition": {"ArnEquals": {"aws:SourceArn": arns.topic}},
    }


def allows_only_topic(policy: dict[str, Any] | None, arns: Arns) -> bool:
    """True when the policy lets our topic send and every Allow is tied to our topic."""
    if not policy:
        return False
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    allows = [s for s in statements if isinstance(s, dict) and s.get("Effect") == "Allow"]
    if not allows:
        return False
    for statement in allows:
        condition = statement.get("Condition", {})
        source = condition.get("ArnEquals", {}).get("aws:SourceArn") or condition.get(
            "ArnLike", {}
        ).get("aws:SourceArn")
        if source != arns.topic:
            return False
    return True


def merged_queue_policy(existing: dict[str, Any] | None, arns: Arns) -> dict[str, Any]:
    """Keep Deny statements (they only narrow access); replace every Allow with ours."""
    statements = (existing or {}).get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = [
        s
        for s in statements
        if isinstance(s, dict) and s.get("Effect") == "Deny" and s.get("Sid") != QUEUE_POLICY_SID
    ]
    return {"Version": "2012-10-17", "Statement": [*kept, queue_statement(arns)]}


def queue_attributes(sqs: Any, url: str) -> dict[str, str]:
    response = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy", "Policy"]
    )
    return dict(response.get("Attributes", {}))


def topic_exists(sns: Any, topic_arn: str) -> bool:
    try:
        sns.get_topic_attributes(TopicArn=topic_arn)
    except Exception as exc:
        if has_code(exc, "NotFound", "NotFoundException"):
            return False
        raise
    return True


def is_subscribed(sns: Any, topic_arn: str, queue_arn: str) -> bool:
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    for page in paginator.paginate(TopicArn=topic_arn):
        for sub in page.get("Subscriptions", []):
            if sub.get("Protocol") == "sqs" and sub.get("Endpoint") == queue_arn:
                return True
    return False


def plan_events(ctx: SetupContext) -> list[Step]:
    t = ctx.targets
    arns = ctx.arns
    sqs = ctx.aws.sqs
    sns = ctx.aws.sns
    steps: list[Step] = []

    has_topic = topic_exists(sns, arns.topic)
    topic_res = f"sns topic {t.topic}"
    if has_topic:
        steps.append(Step(topic_res, "topic", "exists", Action.NONE))
    else:

        def create_topic() -> None:
            sns.create_topic(Name=t.topic)  # idempotent by name

        steps.append(Step(topic_res, "topic", "missing", Action.CREATE, apply=create_topic))

    dlq_res = f"sqs queue {t.dlq}"
    if ctx.queue_url(t.dlq):
        steps.append(Step(dlq_res, "dead-letter queue", "exists", Action.NONE))
    else:

        def create_dlq() -> None:
            sqs.create_queue(
                QueueName=t.dlq,
                Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)},
            )

        steps.append(
            Step(
                dlq_res,
                "dead-letter queue",
                "missing",
                Action.CREATE,
                "keep failed events 14 days",
                apply=create_dlq,
            )
        )

    queue_res = f"sqs queue {t.queue}"
    url = ctx.queue_url(t.queue)
    attrs = queue_attributes(sqs, url) if url else {}
    if url:
        steps.append(Step(queue_res, "queue", "exists", Action.NONE))
    else:

        def create_queue() -> None:
            sqs.create_queue(QueueName=t.queue)

        steps.append(Step(queue_res, "queue", "missing", Action.CREATE, apply=create_queue))

    def live_url() -> str:
        found = ctx.queue_url(t.queue)
        assert found, "the queue was created by the step before"
        return found

    redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else None
    if redrive and redrive.get("deadLetterTargetArn") == arns.dlq:
        steps.append(Step(queue_res, "redrive", f"-> {t.dlq}", Action.NONE))
    else:

        def set_redrive() -> None:
            policy = {"deadLetterTargetArn": arns.dlq, "maxReceiveCount": str(DLQ_MAX_RECEIVE)}
            sqs.set_queue_attributes(
                QueueUrl=live_url(), Attributes={"RedrivePolicy": json.dumps(policy)}
            )

        steps.append(
            Step(
                queue_res,
                "redrive",
                "-" if not url else ("none" if not redrive else "to another queue"),
                Action.CREATE if not redrive else Action.UPDATE,
                f"to {t.dlq} after {DLQ_MAX_RECEIVE} receives",
                apply=set_redrive,
            )
        )

    policy = json.loads(attrs["Policy"]) if attrs.get("Policy") else None
    if allows_only_topic(policy, arns):
        steps.append(Step(queue_res, "policy", f"only {t.topic} may send", Action.NONE))
    else:

        def set_policy() -> None:
            queue_url = live_url()
            latest = queue_attributes(sqs, queue_url).get("Policy")
            merged = merged_queue_policy(json.loads(latest) if latest else None, arns)
            sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(merged)})

        steps.append(
            Step(
                queue_res,
                "policy",
                "-" if not url else ("none" if not policy else "allows other senders"),
                Action.CREATE if not policy else Action.UPDATE,
                f"allow only sns {t.topic} (aws:SourceArn)",
                apply=set_policy,
            )
        )

    subscribed = has_topic and is_subscribed(sns, arns.topic, arns.queue)
    if subscribed:
        steps.append(Step(topic_res, "subscription", f"-> sqs {t.queue}", Action.NONE))
    else:

        def subscribe() -> None:
            sns.subscribe(TopicArn=arns.topic, Protocol="sqs", Endpoint=arns.queue)

        steps.append(
            Step(
                topic_res,
                "subscription",
                "none" if has_topic else "-",
                Action.CREATE,
                f"sqs {t.queue}",
                apply=subscribe,
            )
        )
    return steps
