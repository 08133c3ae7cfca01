"""What every setup step needs: settings, AWS clients, the store, the resolved names
and the account they live in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.aws import AwsClients
from core.config import Settings
from core.db import Store
from core.setup.targets import Account, Arns, Targets


@dataclass
class SetupContext:
    settings: Settings
    aws: AwsClients
    store: Store
    targets: Targets
    account: Account
    config_file: Path | None  # None: do not write one (the sandbox)
    verify_domain: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def arns(self) -> Arns:
        return Arns(self.targets, self.account)

    def identities(self) -> dict[str, Any]:
        """The sender's SES identities as planning found them (read once: SES allows one
        GetIdentityVerificationAttributes a second)."""
        if "identities" not in self._cache:
            from core.setup.ses import read_identities

            self._cache["identities"] = read_identities(self.aws.ses, self.targets)
        return dict(self._cache["identities"])

    def queue_url(self, name: str) -> str | None:
        """The queue's URL, or None when it does not exist (looked up once it does)."""
        cached = self._cache.get(f"queue:{name}")
        if cached:
            return str(cached)
        from core.setup.awserr import has_code

        try:
            url = str(self.aws.sqs.get_queue_url(QueueName=name)["QueueUrl"])
        except Exception as exc:
            if has_code(exc, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                return None
            raise
        self._cache[f"queue:{name}"] = url
        return url


def caller_account(aws: AwsClients) -> tuple[Account, dict[str, Any]]:
    """sts:GetCallerIdentity (needs no permission): the account and the raw response."""
    response: dict[str, Any] = aws.client("sts").get_caller_identity()
    return Account(account_id=str(response["Account"]), arn=str(response["Arn"])), response
