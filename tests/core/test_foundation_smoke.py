"""The fixtures give a provisioned account and an indexed store."""

from core.runtime import Runtime


def test_runtime_is_provisioned(runtime: Runtime) -> None:
    buckets = [b["Name"] for b in runtime.aws.s3.list_buckets()["Buckets"]]
    assert runtime.settings.aws_s3_bucket in buckets
    assert runtime.aws.ses.list_templates()["TemplatesMetadata"]
    assert runtime.settings.ses_events_queue_url
    assert "messageId_1" in runtime.store.emaillogs.index_information()
