"""Settings: the guide's variable names, from (highest first) command-line flags, the
environment, `.env.local` and `.env` in the config folder (or one `--env-file`), then
the user's TOML file. A `.env` in the working directory is never read: whoever can write
to the folder the console is started in must not choose its endpoint or bucket.

AWS credentials are never read or stored here: boto3's own chain (profile, SSO, env,
instance role) supplies them. `AWS_ENDPOINT_URL` is honoured by boto3 itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.paths import config_dir, default_config_file
from core.vocabulary import Role

SANDBOX_ENDPOINT_MARK = "sandbox"


def _env(*names: str) -> AliasChoices:
    """Accept the upper-case variable name (env, .env files) and the field name (TOML)."""
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Effective settings. Field names are the variables' lower-case names."""

    model_config = SettingsConfigDict(
        extra="ignore", case_sensitive=False, populate_by_name=True, frozen=True
    )

    aws_region: str = Field("us-east-1", validation_alias=_env("AWS_REGION", "aws_region"))
    aws_profile: str | None = Field(None, validation_alias=_env("AWS_PROFILE", "aws_profile"))
    aws_endpoint_url: str | None = Field(
        None, validation_alias=_env("AWS_ENDPOINT_URL", "aws_endpoint_url")
    )
    aws_ses_from_email: str | None = Field(
        None, validation_alias=_env("AWS_SES_FROM_EMAIL", "aws_ses_from_email")
    )
    aws_ses_reply_to: str | None = Field(
        None, validation_alias=_env("AWS_SES_REPLY_TO", "aws_ses_reply_to")
    )
    ses_configuration_set: str | None = Field(
        None, validation_alias=_env("SES_CONFIGURATION_SET", "ses_configuration_set")
    )
    ses_events_queue_url: str | None = Field(
        None, validation_alias=_env("SES_EVENTS_QUEUE_URL", "ses_events_queue_url")
    )
    ses_max_send_rate: float | None = Field(
        None,
        gt=0,
        description="Caps (or overrides) the recipients/second pace; SES's MaxSendRate otherwise",
        validation_alias=_env("SES_MAX_SEND_RATE", "ses_max_send_rate"),
    )
    ses_max_24h_send: int | None = Field(
        None,
        ge=0,
        description="Overrides SES's Max24HourSend for the daily-quota check (moto reports 200)",
        validation_alias=_env("SES_MAX_24H_SEND", "ses_max_24h_send"),
    )
    aws_s3_bucket: str | None = Field(None, validation_alias=_env("AWS_S3_BUCKET", "aws_s3_bucket"))
    aws_s3_region: str | None = Field(None, validation_alias=_env("AWS_S3_REGION", "aws_s3_region"))
    s3_sse: Literal["AES256", "aws:kms"] = Field(
        "AES256", validation_alias=_env("S3_SSE", "s3_sse")
    )
    s3_kms_key_id: str | None = Field(None, validation_alias=_env("S3_KMS_KEY_ID", "s3_kms_key_id"))
    s3_noncurrent_days: int = Field(
        90, ge=1, validation_alias=_env("S3_NONCURRENT_DAYS", "s3_noncurrent_days")
    )
    file_max_size: int = Field(
        100 * 1024 * 1024, gt=0, validation_alias=_env("FILE_MAX_SIZE", "file_max_size")
    )
    mongodb_uri: str | None = Field(None, validation_alias=_env("MONGODB_URI", "mongodb_uri"))
    mongodb_db: str | None = Field(
        None,
        description="The database; else the one MONGODB_URI names; else `depllc`",
        validation_alias=_env("MONGODB_DB", "mongodb_db"),
    )
    # Who acts: honoured in the sandbox only (core/identity.py); in connected mode the
    # AWS caller identity and the operators list decide.
    depllc_user: str | None = Field(None, validation_alias=_env("DEPLLC_USER", "depllc_user"))
    depllc_role: Role | None = Field(None, validation_alias=_env("DEPLLC_ROLE", "depllc_role"))
    depllc_crm_user_id: str | None = Field(
        None,
        max_length=200,
        description="The operator's CRM user id (sandbox, or a single-user install)",
        validation_alias=_env("DEPLLC_CRM_USER_ID", "depllc_crm_user_id"),
    )
    sandbox: bool = Field(False, validation_alias=_env("DEPLLC_SANDBOX", "sandbox"))

    @field_validator(
        "aws_endpoint_url",
        "mongodb_uri",
        "mongodb_db",
        "aws_s3_bucket",
        "depllc_user",
        "depllc_role",
        "depllc_crm_user_id",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def s3_region(self) -> str:
        return self.aws_s3_region or self.aws_region

    @property
    def from_email(self) -> str:
        return self.aws_ses_from_email or "noreply@depllc.example"

    @property
    def wants_sandbox(self) -> bool:
        """Sandbox when asked, or when neither AWS nor Mongo settings were given."""
        return self.sandbox or (self.aws_s3_bucket is None and self.mongodb_uri is None)

    @property
    def identity_overrides(self) -> list[str]:
        """The sandbox-only identity variables that are set."""
        given = (("DEPLLC_USER", self.depllc_user), ("DEPLLC_ROLE", self.depllc_role))
        return [name for name, value in given if value]

    @property
    def database(self) -> str:
        """MONGODB_DB, else the database MONGODB_URI names, else `depllc`."""
        from core.mongo_uri import database_of

        return self.mongodb_db or database_of(self.mongodb_uri) or DEFAULT_DATABASE

    def database_conflict(self) -> str | None:
        """A sentence when MONGODB_DB and the URI's database are both set and differ."""
        from core.mongo_uri import database_of

        in_uri = database_of(self.mongodb_uri)
        if self.mongodb_db and in_uri and in_uri != self.mongodb_db:
            return (
                f"MONGODB_DB ({self.mongodb_db}) differs from the database MONGODB_URI "
                f"names ({in_uri}); {self.mongodb_db} is used"
            )
        return None


DEFAULT_DATABASE = "depllc"
SECRET_FIELDS = {"mongodb_uri", "aws_endpoint_url"}


def mask(field: str, value: object) -> str:
    """Render a setting for output, hiding every credential in URIs."""
    from core.mongo_uri import mask_uri

    if value is None:
        return "-"
    text = str(value)
    return mask_uri(text) if field in SECRET_FIELDS else text


def _sources(
    flags: dict[str, Any], config_file: Path | None, env_file: Path | None
) -> list[tuple[str, Callable[[], PydanticBaseSettingsSource]]]:
    """(label, factory): the files are read when a source is made, so making it is
    part of reading it (a broken TOML raises there)."""
    toml = config_file or default_config_file()
    folder = config_dir()
    dotenv = [env_file] if env_file is not None else [folder / ".env.local", folder / ".env"]
    return [
        ("flag", lambda: InitSettingsSource(Settings, init_kwargs=flags)),
        ("env", lambda: EnvSettingsSource(Settings)),
        *(
            (str(path), lambda path=path: DotEnvSettingsSource(Settings, env_file=path))
            for path in dotenv
        ),
        (str(toml), lambda: TomlConfigSettingsSource(Settings, toml_file=toml)),
    ]


def _field_of(key: str) -> str | None:
    """The field a source's key names: the field itself or any of its aliases
    (DEPLLC_SANDBOX is `sandbox`)."""
    lowered = key.lower()
    if lowered in Settings.model_fields:
        return lowered
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices) and any(
            isinstance(choice, str) and choice.lower() == lowered for choice in alias.choices
        ):
            return name
    return None


def load_settings(
    flags: dict[str, Any] | None = None,
    config_file: Path | None = None,
    env_file: Path | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Merge every source (first wins) and say where each value came from. `.env`
    files: `env_file` when given, else `.env.local` and `.env` in the config folder."""
    from core.errors import ConfigError, validation_message

    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"Config file not found: {config_file}", "Check the --config path.")
    if env_file is not None and not env_file.is_file():
        raise ConfigError(f"Env file not found: {env_file}", "Check the --env-file path.")
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for label, make_source in _sources(
        {k: v for k, v in (flags or {}).items() if v is not None}, config_file, env_file
    ):
        try:
            values = make_source()()
        except Exception as exc:  # a broken TOML or .env file
            raise ConfigError(f"Cannot read settings from {label}: {exc}") from exc
        for key, value in values.items():
            field = _field_of(key)
            if field and field not in merged:
                merged[field] = value
                origin[field] = label
    try:
        settings = Settings.model_validate(merged)
    except Exception as exc:
        raise ConfigError(f"Invalid setting: {validation_message(exc)}") from exc
    for field in Settings.model_fields:
        origin.setdefault(field, "default")
    return settings, origin
