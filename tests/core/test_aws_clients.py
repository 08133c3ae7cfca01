"""AWS clients: one data loader per process (service models parsed once), each console
session still its own (credentials, region)."""

from __future__ import annotations

from core.aws import AwsClients
from core.config import Settings


def test_sessions_share_the_parsed_service_models(settings: Settings) -> None:
    first, second = AwsClients(settings), AwsClients(settings, sandbox=True)
    assert first.session is not second.session
    loader = first.session._session.get_component("data_loader")
    assert second.session._session.get_component("data_loader") is loader
    first.client("ses")
    model = loader.load_service_model("ses", "service-2")
    assert loader.load_service_model("ses", "service-2") is model  # cached, not re-read
    assert second.client("ses").meta.region_name == settings.aws_region


def test_many_sessions_keep_one_search_path(settings: Settings) -> None:
    sessions = [AwsClients(settings).session for _ in range(5)]
    paths = sessions[-1]._session.get_component("data_loader").search_paths
    assert len(paths) == len(set(paths))
