"""Typed errors carrying a message fit to show a person, and the one place that
turns any exception into such a message (`describe`)."""

from __future__ import annotations

from dataclasses import dataclass


class DepllcError(Exception):
    """Base class: `message` says what happened, `hint` what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class InputError(DepllcError):
    """The operator gave something invalid (exit code 2)."""

    exit_code = 2


class AccessDeniedError(InputError):
    """The operator's role does not allow it (exit code 2, like any refused request)."""


class NotFoundError(DepllcError):
    """A record, object or template does not exist."""

    exit_code = 1


class ConfigError(DepllcError):
    """Settings are missing or inconsistent."""

    exit_code = 2


class ServiceError(DepllcError):
    """An AWS call or a store operation failed."""


class StoreUnavailableError(ServiceError):
    """MongoDB cannot be reached."""


class CancelledError(DepllcError):
    """The operator cancelled a long operation."""


@dataclass(frozen=True)
class Described:
    """A readable account of an exception: one line, plus whether it was bad input."""

    text: str
    exit_code: int


_AWS_HINTS: dict[str, str] = {
    "AccessDenied": "Ask an admin to attach the policy from `depllc iam-policy`.",
    "AccessDeniedException": "Ask an admin to attach the policy from `depllc iam-policy`.",
    "ExpiredToken": "Your AWS session expired: run `aws sso login` (or refresh the profile).",
    "ExpiredTokenException": "Your AWS session expired: run `aws sso login`.",
    "InvalidClientTokenId": "Check AWS_PROFILE / the access key in use (`depllc doctor`).",
    "SignatureDoesNotMatch": "The secret key does not match; check the profile in use.",
    "UnrecognizedClientException": "Check AWS_PROFILE / the access key in use.",
    "NoSuchBucket": "Check AWS_S3_BUCKET, or run `depllc setup` to create it.",
    "NoSuchKey": "The object is gone from S3; `depllc files reconcile` fixes the record.",
    "NoSuchVersion": "That version is gone; list them with `depllc files versions ID`.",
    "KMS.NotFoundException": "Check S3_KMS_KEY_ID (the key must exist in the bucket's region).",
    "MessageRejected": "SES refused the message; check the sender is verified (`depllc doctor`).",
    "Throttling": "SES is throttling; wait a moment and retry.",
    "ThrottlingException": "Wait a moment and retry.",
    "TemplateDoesNotExist": "List templates with `depllc templates`.",
    "MissingRenderingAttribute": "Add the missing variable to the template data.",
    "TooManyRequestsException": "SES is throttling; wait a moment and retry.",
    "AccountSendingPausedException": "SES sending is paused for the account (SES console).",
    "MailFromDomainNotVerifiedException": "Verify the sender's domain in SES (`depllc doctor`).",
    "ConfigurationSetDoesNotExist": "Check SES_CONFIGURATION_SET or run `depllc setup`.",
    "AWS.SimpleQueueService.NonExistentQueue": "Check SES_EVENTS_QUEUE_URL or run `depllc setup`.",
}


# Operations of SES (v1 and v2) a console command calls, to name the service at fault.
_SES_OPERATIONS = {
    "SendEmail",
    "SendRawEmail",
    "SendTemplatedEmail",
    "SendBulkTemplatedEmail",
    "SendBulkEmail",
    "GetSendQuota",
    "GetSendStatistics",
    "GetAccount",
    "GetTemplate",
    "ListTemplates",
    "TestRenderTemplate",
}


def describe(exc: BaseException) -> Described:
    """Turn any exception into one readable line; the only such place in the app."""
    if isinstance(exc, DepllcError):
        return Described(str(exc), exc.exit_code)
    name = type(exc).__name__
    # botocore and pymongo are imported lazily: `describe` must stay cheap to import.
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response.get("Error", {})
        code = str(err.get("Code", "Error"))
        msg = str(err.get("Message", "")).strip() or code
        op = getattr(exc, "operation_name", "")
        hint = _AWS_HINTS.get(code, "")
        where = f" ({op})" if op else ""
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int) and status >= 500:
            service = "SES" if op in _SES_OPERATIONS else "AWS"
            return Described(
                f"{service} server error{where}: HTTP {status} {code}: {msg}. The fault is on "
                f"{service}'s side (an answer, not a timeout).",
                1,
            )
        return Described(f"AWS {code}{where}: {msg}. {hint}".strip(), 1)
    if name in {"NoCredentialsError", "PartialCredentialsError"}:
        return Described(
            "No AWS credentials found. Set AWS_PROFILE (or --profile), run `aws sso login`, "
            "or use --sandbox to try the console without an account.",
            2,
        )
    if name in {"TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError"}:
        return Described("Your AWS SSO session expired: run `aws sso login` and retry.", 1)
    if name == "ProfileNotFound":
        return Described(f"{exc}. List profiles with `aws configure list-profiles`.", 2)
    if name in {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"}:
        return Described(f"Cannot reach AWS: {exc}. Check the network or AWS_ENDPOINT_URL.", 1)
    if name in {"ServerSelectionTimeoutError", "AutoReconnect", "NetworkTimeout"}:
        return Described(
            "MongoDB is unreachable. Check MONGODB_URI and that the server is up "
            "(`depllc doctor`).",
            1,
        )
    if name == "ConfigurationError" and type(exc).__module__.startswith("pymongo"):
        return Described(f"MONGODB_URI is not valid: {exc}", 2)
    if isinstance(exc, FileNotFoundError):
        return Described(f"No such file or folder: {exc.filename}", 2)
    if isinstance(exc, PermissionError):
        return Described(f"Permission denied: {exc.filename}", 2)
    if isinstance(exc, IsADirectoryError):
        return Described(f"Is a folder, not a file: {exc.filename}", 2)
    if isinstance(exc, OSError) and exc.strerror:
        return Described(f"{exc.strerror}: {exc.filename or ''}".rstrip(": "), 1)
    if name == "ValidationError" and hasattr(exc, "errors"):
        return Described(validation_message(exc), 2)
    text = str(exc).strip() or name
    return Described(f"Unexpected error ({name}): {text}", 1)


def validation_message(exc: BaseException) -> str:
    """One line from a pydantic ValidationError: `field: problem; field: problem`."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or str(exc)
