"""MONGODB_URI read without connecting: the database it names, its own timeouts, and
no credential in anything shown, even for a URI pymongo refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.db import connect
from core.errors import ConfigError
from core.mongo_uri import database_of, mask_uri, parse, scrub
from core.runtime import Runtime
from tui.cli.main import main


def test_the_database_a_uri_names() -> None:
    assert database_of("mongodb://db.example/depllc-crm") == "depllc-crm"
    assert database_of("mongodb+srv://u:p@c0.example.net/crm?retryWrites=true") == "crm"
    assert database_of("mongodb://u:p%2Fq@db.example:27017/?tls=true") is None
    assert database_of("mongodb://db.example") is None
    assert database_of("mongomock://sandbox-1") is None
    assert database_of(None) is None


def test_the_uris_own_timeouts_are_honoured() -> None:
    store = connect(
        "mongodb://db.example/crm?serverSelectionTimeoutMS=25000&connectTimeoutMS=7000", "crm"
    )
    assert store.db.client.options.server_selection_timeout == 25.0
    assert store.db.client.options.pool_options.connect_timeout == 7.0
    default = connect("mongodb://db.example/crm", "crm", timeout_ms=3000)
    assert default.db.client.options.server_selection_timeout == 3.0


def test_an_unescaped_at_sign_in_the_password_says_to_percent_encode_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = "mongodb://crm:Sup3r@Secret@db.example:27017/crm"
    with pytest.raises(ConfigError, match="percent-encoded"):
        connect(uri, "crm")
    monkeypatch.setenv("MONGODB_URI", uri)
    monkeypatch.setenv("AWS_S3_BUCKET", "crm-files")
    assert main(["logs", "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "percent-encoded (@ as %40" in err
    assert "Sup3r" not in err and "Unexpected error" not in err


def test_scrub_removes_every_credential_from_a_message() -> None:
    uri = "mongodb://crm:pa%40ss@db.example/?tlsCertificateKeyFilePassword=pem-pass"
    text = "bad option tlsCertificateKeyFilePassword=pem-pass for crm:pa@ss (pa%40ss)"
    cleaned = scrub(text, uri)
    assert "pem-pass" not in cleaned and "pa@ss" not in cleaned and "pa%40ss" not in cleaned


_PASSWORD = st.text(
    alphabet=st.characters(codec="ascii", min_codepoint=33, max_codepoint=126), min_size=1
)


@given(secret=_PASSWORD)
def test_a_password_never_shows_however_it_is_written(secret: str) -> None:
    password = "Q7" + secret  # "Q7" is in no host or option below
    token = password.replace("&", "").replace(";", "")  # option separators
    for uri, hidden in (
        (f"mongodb://crm:{password}@db.example:27017/crm?tls=true", password),
        (f"mongodb+srv://crm:{password}@c0.example.net/", password),
        (f"mongodb://db.example/?authMechanismProperties=AWS_SESSION_TOKEN:{token}", token),
    ):
        assert hidden not in mask_uri(uri)
        scrubbed = scrub(f"refused: {hidden}", uri)
        assert "Q7" not in scrubbed and scrubbed.startswith("refused: ****")


def test_anything_after_the_user_info_that_is_not_a_host_hides_it_all() -> None:
    parts = parse("mongodb://crm:pw@a=b")
    assert parts is not None and parts.masked() == "mongodb://****"


def test_the_journals_database_label_holds_no_part_of_a_password() -> None:
    from core.db import database_id

    for uri in ("mongodb://crm:Pa/ss@db.example/crm", "mongodb://crm:Pa@ss/x@db.example/crm"):
        found = database_id(uri, "crm")
        assert found.label == "db.example:27017/crm" and "Pa" not in found.label
    same = database_id("mongodb://other:pw@db.example:27017/?tls=true", "crm")
    assert same.key == database_id("mongodb://crm:Pa/ss@db.example/crm", "crm").key


def test_the_header_shows_no_credential(runtime: Runtime) -> None:
    uri = (
        "mongodb://crm:hunter2@db.example/crm?authMechanism=MONGODB-AWS"
        "&authMechanismProperties=AWS_SESSION_TOKEN:IQoJtoken"
    )
    store = connect(uri, "crm")
    runtime.store = store
    runtime.aws.endpoint_url = "https://AKIAKEY:s3cr3t@s3.example.internal"
    label = runtime.target_label()
    for secret in ("hunter2", "IQoJtoken", "s3cr3t"):
        assert secret not in label
    assert "db.example" in label and "s3.example.internal" in label
