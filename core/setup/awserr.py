"""Small helpers over botocore's ClientError: the error code, "was it denied", and
which IAM action a failed call needed (from the operations the console uses)."""

from __future__ import annotations

from typing import Any

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "AuthorizationErrorException",
        "UnauthorizedOperation",
        "Forbidden",
        "403",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
    }
)


def error_code(exc: BaseException) -> str | None:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def has_code(exc: BaseException, *codes: str) -> bool:
    return error_code(exc) in codes


def is_denied(exc: BaseException) -> bool:
    return error_code(exc) in DENIED_CODES


def denied_action(exc: BaseException) -> str | None:
    """`s3:GetBucketVersioning` for a denied call, from the exception's operation name."""
    operation = getattr(exc, "operation_name", None)
    if not operation:
        return None
    from core.setup.operations import iam_actions_for_operation

    actions = iam_actions_for_operation(operation)
    return ", ".join(actions) if actions else None


def explain(exc: BaseException) -> str:
    """One line: the described error, plus the IAM action when the call was denied."""
    from core.errors import describe

    text = describe(exc).text
    if "<html" in text.lower() or "<!doctype" in text.lower():
        text = text.split(":", 1)[0] + ": the endpoint answered with an HTML error page."
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:297] + "..."
    if is_denied(exc):
        action = denied_action(exc)
        if action and action not in text:
            text = f"{text} (denied action: {action})"
    return text
