"""boto3 session and clients: credentials only from boto3's own chain, the region and
endpoint from settings, botocore's standard retry mode."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from core.config import Settings

if TYPE_CHECKING:
    import boto3

SANDBOX_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_loader_lock = threading.Lock()
_shared_loader: Any = None


def _botocore_session(profile: str | None = None) -> Any:
    """A new botocore session that shares one data loader with the others of this
    process: each service's model (JSON, the bulk of a client's cost) is read and parsed
    once, not once per session (the sandbox, `sandbox up` and the tests make many)."""
    import botocore.session
    from botocore.loaders import create_loader

    global _shared_loader
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = create_loader()
        loader = _shared_loader
    session = botocore.session.get_session()
    session.register_component("data_loader", loader)
    if profile is not None:  # an unknown profile fails here, as it does without the loader
        session.set_config_variable("profile", profile)
        session.get_scoped_config()
    return session


def _tidy_loader() -> None:
    """boto3 adds its data folder to the loader's search path for each session: keep one."""
    with _loader_lock:
        paths = _shared_loader.search_paths
        paths[:] = list(dict.fromkeys(paths))


class AwsClients:
    """Lazily created, cached clients (boto3 clients are thread-safe once made)."""

    def __init__(
        self, settings: Settings, endpoint_url: str | None = None, sandbox: bool = False
    ) -> None:
        self.settings = settings
        self.endpoint_url = endpoint_url or settings.aws_endpoint_url
        self.sandbox = sandbox
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            import boto3

            if self.sandbox:
                self._session = boto3.Session(
                    botocore_session=_botocore_session(),
                    region_name=self.settings.aws_region,
                    aws_access_key_id=SANDBOX_CREDENTIALS["aws_access_key_id"],
                    aws_secret_access_key=SANDBOX_CREDENTIALS["aws_secret_access_key"],
                )
            else:
                self._session = boto3.Session(
                    botocore_session=_botocore_session(self.settings.aws_profile),
                    profile_name=self.settings.aws_profile,
                    region_name=self.settings.aws_region,
                )
            _tidy_loader()
        return self._session

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for `service` (`s3`, `ses`, `sesv2`, `sqs`, `sns`, `sts`)."""
        region = region or (
            self.settings.s3_region if service == "s3" else self.settings.aws_region
        )
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "max_attempts": 5},
                    connect_timeout=5,
                    read_timeout=60,
                    max_pool_connections=32,
                    signature_version="s3v4" if service == "s3" else None,
                )
                client = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    endpoint_url=self.endpoint_url,
                    config=config,
                )
                self._clients[key] = client
        return client

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def ses(self) -> Any:
        return self.client("ses")

    @property
    def sesv2(self) -> Any:
        return self.client("sesv2")

    @property
    def sqs(self) -> Any:
        return self.client("sqs")

    @property
    def sns(self) -> Any:
        return self.client("sns")

    def describe_target(self) -> str:
        """Where AWS calls go, for the header (no secrets)."""
        profile = self.settings.aws_profile or "default chain"
        parts = [profile, self.settings.aws_region]
        if self.settings.aws_s3_bucket:
            parts.append(f"s3://{self.settings.aws_s3_bucket}")
        if self.endpoint_url:
            from core.mongo_uri import mask_uri

            parts.append(mask_uri(self.endpoint_url))
        return " · ".join(parts)
