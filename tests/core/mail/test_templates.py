"""SES templates: list, show (with variables), render with TestRenderTemplate."""

from __future__ import annotations

import pytest

from core.errors import InputError, NotFoundError
from core.mail import templates
from core.runtime import Runtime


def test_list_templates(runtime: Runtime) -> None:
    names = [t["name"] for t in templates.list_templates(runtime)]
    assert names == ["contract-ready", "invoice-reminder", "welcome-client"]


def test_show_template_and_its_variables(runtime: Runtime) -> None:
    t = templates.get_template(runtime, "invoice-reminder")
    assert t.subject == "Invoice {{invoice}} is due on {{due}}"
    assert t.variables == ["invoice", "due", "name", "amount"]
    assert t.missing({"invoice": "1", "name": "x"}) == ["due", "amount"]


def test_variables_skip_helpers_and_see_their_arguments() -> None:
    t = templates.Template(
        name="t",
        subject="{{ greeting }}",
        text="{{#if vip}}Dear {{{name}}}{{else}}Hi{{/if}} {{user.city}}",
        html=None,
    )
    assert t.variables == ["greeting", "name", "user", "vip"]


def test_render_with_ses(runtime: Runtime) -> None:
    rendered = templates.render(
        runtime,
        "welcome-client",
        {"name": "Zoë", "portal_url": "https://portal.example/zoe"},
    )
    assert rendered.subject == "Welcome to DepLLC, Zoë"
    assert rendered.text and "https://portal.example/zoe" in rendered.text
    assert rendered.html and 'href="https://portal.example/zoe"' in rendered.html
    assert rendered.size > 0


def test_render_missing_variables(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="needs data for: portal_url"):
        templates.render(runtime, "welcome-client", {"name": "A"})


def test_ses_reports_a_missing_variable_we_did_not_see(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If our parse misses a variable, SES's MissingRenderingAttribute still reads well."""
    monkeypatch.setattr(templates.Template, "missing", lambda self, data: [])
    with pytest.raises(InputError, match="needs data for: portal_url"):
        templates.render(runtime, "welcome-client", {"name": "A"})


def test_template_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        templates.get_template(runtime, "nope")
    with pytest.raises(NotFoundError):
        templates.render(runtime, "nope", {})


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
)
def test_bad_template_data(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        templates.parse_data(text)


def test_empty_data_is_an_empty_object() -> None:
    assert templates.parse_data("") == {}
    assert templates.parse_data(None) == {}


def test_local_rendering_for_bulk_logs() -> None:
    t = templates.Template("t", "Hi {{name}}", "Dear {{ name }}, {{amount}}", "<b>{{name}}</b>")
    r = t.render_local({"name": "Ada", "amount": "5"})
    assert (r.subject, r.text, r.html) == ("Hi Ada", "Dear Ada, 5", "<b>Ada</b>")
