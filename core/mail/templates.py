"""SES templates: list, show, the variables a template needs, and rendering with
TestRenderTemplate so the operator sees the result before sending."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from core.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from core.runtime import Runtime

# {{name}}, {{ name }}, {{{name}}}, {{user.name}}; not helpers ({{#if}}, {{/if}}, {{else}}).
_VARIABLE = re.compile(r"{{{?\s*([A-Za-z_][\w]*)(?:\.[\w.]+)?\s*}?}}")
_HELPER_ARG = re.compile(r"{{\s*#\w+\s+([A-Za-z_]\w*)")
_MISSING = re.compile(r"Attribute '([^']+)' is not present")


@dataclass(frozen=True)
class Template:
    name: str
    subject: str
    text: str | None
    html: str | None

    @property
    def variables(self) -> list[str]:
        """The variables the template refers to, in order of first use."""
        seen: dict[str, None] = {}
        for part in (self.subject, self.text or "", self.html or ""):
            for match in _VARIABLE.finditer(part):
                if match.group(1) != "else":
                    seen.setdefault(match.group(1), None)
            for match in _HELPER_ARG.finditer(part):
                seen.setdefault(match.group(1), None)
        return list(seen)

    def missing(self, data: dict[str, Any]) -> list[str]:
        return [name for name in self.variables if name not in data]

    def render_local(self, data: dict[str, Any]) -> Rendered:
        """Substitute plain `{{var}}` placeholders (for the log's copy of a bulk send;
        the authoritative rendering is SES's)."""

        def fill(part: str | None) -> str | None:
            if part is None:
                return None
            return _VARIABLE.sub(lambda m: str(data.get(m.group(1), "")), part)

        return Rendered(
            subject=fill(self.subject) or "", text=fill(self.text), html=fill(self.html)
        )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str | None
    html: str | None
    raw: str = ""

    @property
    def size(self) -> int:
        return len(self.raw.encode("utf-8")) if self.raw else 0


def _template_error(exc: BaseException, name: str) -> BaseException:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    if code == "TemplateDoesNotExist":
        return NotFoundError(
            f"Template {name!r} not found.", "List templates with `depllc templates`."
        )
    if code == "MissingRenderingAttribute":
        found = _MISSING.findall(message)
        names = ", ".join(found) if found else message
        return InputError(f"Template {name!r} needs data for: {names}.", "Add it to the JSON data.")
    if code in {"InvalidRenderingParameter", "InvalidParameterValue"}:
        return InputError(f"Template {name!r} cannot be rendered: {message}")
    return exc


def list_templates(runtime: Runtime) -> list[dict[str, Any]]:
    """Every template's name and creation time (all pages)."""
    ses = runtime.aws.ses
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"MaxItems": 100}
        if token:
            kwargs["NextToken"] = token
        page = ses.list_templates(**kwargs)
        for t in page.get("TemplatesMetadata", []):
            created = t.get("CreatedTimestamp")
            out.append({"name": t["Name"], "createdAt": created.isoformat() if created else None})
        token = page.get("NextToken")
        if not token:
            return sorted(out, key=lambda t: str(t["name"]))


def get_template(runtime: Runtime, name: str) -> Template:
    try:
        found = runtime.aws.ses.get_template(TemplateName=name)["Template"]
    except Exception as exc:
        raise _template_error(exc, name) from exc
    return Template(
        name=found["TemplateName"],
        subject=found.get("SubjectPart", ""),
        text=found.get("TextPart"),
        html=found.get("HtmlPart"),
    )


def parse_data(text: str | None) -> dict[str, Any]:
    """Template data given as JSON text: an object, or a clear error."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"Template data is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(data, dict):
        raise InputError('Template data must be a JSON object, e.g. \'{"name": "Ada"}\'.')
    return data


def render(runtime: Runtime, name: str, data: dict[str, Any]) -> Rendered:
    """SES's own rendering (TestRenderTemplate): missing variables are an error."""
    template = get_template(runtime, name)
    missing = template.missing(data)
    if missing:
        raise InputError(
            f"Template {name!r} needs data for: {', '.join(missing)}.", "Add it to the JSON data."
        )
    try:
        raw: str = runtime.aws.ses.test_render_template(
            TemplateName=name, TemplateData=json.dumps(data)
        )["RenderedTemplate"]
    except Exception as exc:
        raise _template_error(exc, name) from exc
    return parse_rendered(raw)


def parse_rendered(raw: str) -> Rendered:
    """Split a rendered MIME message into subject, text and HTML."""
    msg = message_from_string(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return Rendered(
        subject=str(msg.get("Subject", "")),
        text=text_part.get_content() if text_part is not None else None,
        html=html_part.get_content() if html_part is not None else None,
        raw=raw,
    )
