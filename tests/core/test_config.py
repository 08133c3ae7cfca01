"""Settings: flag > environment > .env.local > .env (in the config folder, or one
--env-file) > TOML, each value's source is reported, and `config show` never prints a
credential."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Settings, load_settings, mask
from core.errors import ConfigError
from tui.cli.main import main


@pytest.fixture(autouse=True)
def _no_settings_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make test` runs the suite with MONGODB_URI set (mongomock or a real server):
    these tests set exactly the variables each one is about."""
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        for name in getattr(alias, "choices", []):
            if isinstance(name, str) and name.isupper():
                monkeypatch.delenv(name, raising=False)


@pytest.fixture
def layered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Every source sets AWS_REGION (and something only it sets); the .env files are in
    the config folder (DEPLLC_CONFIG_DIR, conftest)."""
    cwd = tmp_path / "config"
    cwd.mkdir()
    toml = tmp_path / "config.toml"
    toml.write_text(
        'aws_region = "eu-north-1"\n'
        'mongodb_db = "from_toml"\n'
        'aws_s3_bucket = "toml-bucket"\n'
        'aws_ses_reply_to = "toml@depllc.example"\n'
    )
    (cwd / ".env").write_text(
        "AWS_REGION=eu-west-1\nAWS_S3_BUCKET=dotenv-bucket\nAWS_SES_FROM_EMAIL=env@depllc.example\n"
    )
    (cwd / ".env.local").write_text("AWS_REGION=eu-west-2\nAWS_S3_BUCKET=local-bucket\n")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    return cwd, toml


def test_a_flag_beats_every_other_source(layered: tuple[Path, Path]) -> None:
    _folder, toml = layered
    settings, origin = load_settings({"aws_region": "ap-south-1"}, toml)
    assert settings.aws_region == "ap-south-1"
    assert origin["aws_region"] == "flag"


def test_environment_beats_dotenv_files_and_toml(layered: tuple[Path, Path]) -> None:
    _folder, toml = layered
    settings, origin = load_settings({}, toml)
    assert (settings.aws_region, origin["aws_region"]) == ("eu-central-1", "env")


def test_env_local_beats_env_which_beats_toml(
    layered: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, toml = layered
    monkeypatch.delenv("AWS_REGION")
    settings, origin = load_settings({}, toml)
    assert (settings.aws_region, origin["aws_region"]) == ("eu-west-2", str(cwd / ".env.local"))
    assert (settings.aws_s3_bucket, origin["aws_s3_bucket"]) == (
        "local-bucket",
        str(cwd / ".env.local"),
    )
    assert (settings.aws_ses_from_email, origin["aws_ses_from_email"]) == (
        "env@depllc.example",
        str(cwd / ".env"),
    )
    assert (settings.mongodb_db, origin["mongodb_db"]) == ("from_toml", str(toml))
    assert origin["ses_configuration_set"] == "default"

    (cwd / ".env.local").unlink()
    settings, origin = load_settings({}, toml)
    assert (settings.aws_region, origin["aws_region"]) == ("eu-west-1", str(cwd / ".env"))


def test_toml_is_the_last_source_before_defaults(tmp_path: Path) -> None:
    toml = tmp_path / "config.toml"
    toml.write_text('aws_region = "sa-east-1"\nfile_max_size = 1024\n')
    settings, origin = load_settings({}, toml)
    assert settings.aws_region == "sa-east-1"
    assert settings.file_max_size == 1024
    assert origin["file_max_size"] == str(toml)
    bare, bare_origin = load_settings({}, None)  # the user's (empty) config dir
    assert bare.aws_region == "us-east-1" and bare_origin["aws_region"] == "default"


def test_the_default_toml_lives_in_the_user_config_dir(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"  # DEPLLC_CONFIG_DIR (conftest)
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('mongodb_db = "crm_prod"\n')
    settings, origin = load_settings({}, None)
    assert settings.mongodb_db == "crm_prod"
    assert origin["mongodb_db"].endswith("config.toml")


def test_no_aws_or_mongo_settings_means_sandbox(tmp_path: Path) -> None:
    settings, _ = load_settings({}, None)
    assert settings.wants_sandbox
    connected = Settings.model_validate({"mongodb_uri": "mongomock://", "aws_s3_bucket": "b"})
    assert not connected.wants_sandbox
    assert Settings.model_validate({"mongodb_uri": "mongomock://", "sandbox": True}).wants_sandbox


def test_bad_values_are_one_readable_config_error(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / ".env").write_text("FILE_MAX_SIZE=-5\n")
    with pytest.raises(ConfigError, match="file_max_size"):
        load_settings({}, None)
    with pytest.raises(ConfigError, match="Config file not found"):
        load_settings({}, tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("aws_region = \n")
    with pytest.raises(ConfigError, match="Cannot read settings"):
        load_settings({}, broken)


def test_mask_hides_the_password_only() -> None:
    uri = "mongodb+srv://crm:s3cr3t-P%40ss@cluster0.example.net/depllc?retryWrites=true"
    masked = mask("mongodb_uri", uri)
    assert "s3cr3t" not in masked
    assert masked == "mongodb+srv://crm:****@cluster0.example.net/depllc?retryWrites=true"
    assert mask("mongodb_uri", "mongodb://localhost:27017") == "mongodb://localhost:27017"
    assert mask("aws_region", None) == "-"


def test_config_show_masks_the_password_and_names_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "crm.env"
    env_file.write_text("MONGODB_URI=mongodb://crm:hunter2@db.example:27017/crm\n")
    monkeypatch.setenv("AWS_S3_BUCKET", "crm-files")
    assert main(["--region", "eu-west-3", "--env-file", str(env_file), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "mongodb://crm:****@db.example:27017/crm" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["MONGODB_URI"][-1] == str(env_file)
    assert lines["AWS_S3_BUCKET"][1:] == ["crm-files", "env"]
    assert lines["AWS_REGION"][1:] == ["eu-west-3", "flag"]
    assert "mode: connected" in out

    assert main(["--env-file", str(env_file), "config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert "hunter2" not in json.dumps(shown)
    assert shown["mongodb_uri"] == {
        "value": "mongodb://crm:****@db.example:27017/crm",
        "source": str(env_file),
    }


def test_sandbox_from_the_flag_or_its_variable_overrides_real_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.example/crm")
    monkeypatch.setenv("AWS_S3_BUCKET", "crm-files")
    settings, origin = load_settings({}, None)
    assert not settings.wants_sandbox
    settings, origin = load_settings({"sandbox": True}, None)
    assert settings.sandbox and settings.wants_sandbox and origin["sandbox"] == "flag"
    monkeypatch.setenv("DEPLLC_SANDBOX", "1")
    settings, origin = load_settings({}, None)
    assert settings.wants_sandbox and origin["sandbox"] == "env"


def test_a_dotenv_in_the_working_directory_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Whoever can write to the folder the console starts in must not pick its endpoint,
    # bucket or role (issue 12: a .env in the current folder did all three).
    work = tmp_path / "shared-folder"
    work.mkdir()
    hostile = "AWS_ENDPOINT_URL=http://evil.example\nAWS_S3_BUCKET=evil\nDEPLLC_ROLE=admin\n"
    (work / ".env").write_text(hostile)
    (work / ".env.local").write_text(hostile)
    monkeypatch.chdir(work)
    settings, origin = load_settings({}, None)
    assert settings.aws_endpoint_url is None and settings.aws_s3_bucket is None
    assert settings.depllc_role is None
    assert origin["aws_s3_bucket"] == "default"

    config = tmp_path / "config"  # DEPLLC_CONFIG_DIR
    config.mkdir()
    (config / ".env").write_text("AWS_S3_BUCKET=crm-files\n")
    settings, origin = load_settings({}, None)
    assert (settings.aws_s3_bucket, origin["aws_s3_bucket"]) == ("crm-files", str(config / ".env"))

    chosen = tmp_path / "prod.env"
    chosen.write_text("AWS_S3_BUCKET=prod-files\n")
    settings, origin = load_settings({}, None, chosen)  # --env-file replaces the folder's
    assert (settings.aws_s3_bucket, origin["aws_s3_bucket"]) == ("prod-files", str(chosen))

    assert main(["--env-file", str(tmp_path / "nope.env"), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Env file not found" in err and "nope.env" in err


@pytest.mark.parametrize(
    ("uri", "secret"),
    [
        ("mongodb://crm:hunter2@db.example/crm", "hunter2"),
        ("mongodb://crm:p@ss/w?rd@db.example:27017/crm", "p@ss/w?rd"),
        ("mongodb://db.example/crm?tls=true&tlsCertificateKeyFilePassword=pem-pass", "pem-pass"),
        (
            "mongodb+srv://AKIA123:key@c0.example.net/crm?authMechanism=MONGODB-AWS"
            "&authMechanismProperties=AWS_SESSION_TOKEN:FwoGZXIvYXdzEJr",
            "FwoGZXIvYXdzEJr",
        ),
        ("mongodb://db.example/?sslClientCertificateKeyPassword=legacy-pass", "legacy-pass"),
        ("mongodb://db.example/?myApiSecret=s1&x=1", "s1"),
        ("mongodb://db.example/?readPreference=primary&fooToken=t0k3n", "t0k3n"),
        ("mongodb://db.example/?tlsCertificateKeyFile=/etc/ssl/client-key.pem", "client-key"),
    ],
)
def test_every_credential_in_a_uri_is_masked(uri: str, secret: str) -> None:
    masked = mask("mongodb_uri", uri)
    assert secret not in masked
    assert "****" in masked
    assert "db.example" in masked or "c0.example.net" in masked  # the host stays readable


def test_mask_keeps_what_is_not_secret() -> None:
    uri = "mongodb://crm:pw@db1.example,db2.example:27018/crm?replicaSet=rs0&tls=true"
    assert mask("mongodb_uri", uri) == (
        "mongodb://crm:****@db1.example,db2.example:27018/crm?replicaSet=rs0&tls=true"
    )
    assert mask("aws_endpoint_url", "https://key:secret@s3.example") == "https://****@s3.example"


def test_config_show_masks_query_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "MONGODB_URI",
        "mongodb://db.example/crm?authMechanism=MONGODB-AWS"
        "&authMechanismProperties=AWS_SESSION_TOKEN:IQoJb3JpZ2luX2Vj"
        "&tlsCertificateKeyFilePassword=pem-pass",
    )
    assert main(["config", "show"]) == 0
    assert main(["config", "show", "--json"]) == 0
    out = capsys.readouterr().out
    assert "IQoJb3JpZ2luX2Vj" not in out and "pem-pass" not in out
    assert "authMechanismProperties=****" in out


def test_the_uri_names_the_database_unless_mongodb_db_is_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.example:27017/depllc-crm?tls=true")
    settings, _ = load_settings({}, None)
    assert settings.database == "depllc-crm"
    assert settings.database_conflict() is None
    assert Settings.model_validate({"mongodb_uri": "mongodb://db.example"}).database == "depllc"

    monkeypatch.setenv("MONGODB_DB", "depllc")
    settings, _ = load_settings({}, None)
    assert settings.database == "depllc"  # an explicit MONGODB_DB wins, and it is said
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "database: depllc" in out
    note = "note: MONGODB_DB (depllc) differs from the database MONGODB_URI names (depllc-crm)"
    assert note in out
    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["database"] == "depllc" and "differs" in shown["notes"][0]


def test_config_show_says_identity_overrides_are_for_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.example/crm")
    monkeypatch.setenv("DEPLLC_ROLE", "admin")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "note: DEPLLC_ROLE: only the sandbox honours them" in out
