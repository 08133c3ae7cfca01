"""Bounce and complaint reasons in plain words: every mapped code and each fallback."""

from __future__ import annotations

import pytest

from core.delivery_reasons import _CODES, _COMPLAINTS, _SES, explain, explain_suppression


@pytest.mark.parametrize(
    ("diagnostic", "status", "summary", "permanent", "basis"),
    [
        (
            "Permanent/General: smtp; 550 5.1.1 <ann@x.com>: Recipient address rejected: "
            "User unknown in virtual alias table",
            "bounced", "The address does not exist", True, "code 5.1.1",
        ),
        ("Permanent/General: smtp; 550 5.1.2 Host unknown", "bounced",
         "The recipient's domain does not exist or takes no mail", True, "code 5.1.2"),
        ("Transient/MailboxFull: smtp; 452 4.2.2 Mailbox full", "sent",
         "The mailbox is full", False, "code 4.2.2"),
        ("Permanent/General: smtp; 552 5.2.2 Over quota", "bounced",
         "The mailbox is full", True, "code 5.2.2"),
        ("Permanent/General: smtp; 550 5.7.1 Message rejected as spam", "bounced",
         "The recipient's server refused the message (policy or spam filter)", True, "code 5.7.1"),
        ("Permanent/General: smtp; 550 5.7.26 Unauthenticated email", "bounced",
         "The recipient's server failed our authentication (DKIM/DMARC)", True, "code 5.7.26"),
        ("Delayed (TransientCommunicationFailure): 421 4.4.2 connection dropped", "sent",
         "The connection to the recipient's server broke off", False, "code 4.4.2"),
        # An unknown code in a known class: the class, said to be a fallback.
        ("Permanent/General: smtp; 550 5.9.9 something new", "bounced",
         "A permanent failure (class 5.x.x; this code is not in the console's table)", True,
         "class 5.x.x (code 5.9.9)"),
        ("Transient/General: 451 4.9.9 later", "sent",
         "A temporary failure (class 4.x.x; this code is not in the console's table)", False,
         "class 4.x.x (code 4.9.9)"),
        # No enhanced code: SES's subtype, then a provider's words, then the reply code.
        ("Permanent/NoEmail", "bounced", "The address does not exist", True,
         "SES Permanent/NoEmail"),
        ("Permanent/General: smtp; 550 No such user here", "bounced",
         "The address does not exist", True, "provider text"),
        ("Transient/General: 452 mailbox over quota", "sent", "The mailbox is full", False,
         "provider text"),
        ("Permanent/General: smtp; 554 go away", "bounced",
         "The recipient's server refused the message for good", True, "SES Permanent/General"),
        ("smtp; 554 go away", "bounced",
         "A permanent failure (class 5.x.x; this code is not in the console's table)", True,
         "SMTP reply 554 (class fallback)"),
        ("Rejected: Email address is on the suppression list", "failed",
         "SES refused to send the message (it found a virus or a problem in it)", True,
         "SES reject"),
        ("Rendering failure (invoice-reminder): Attribute 'due' is not present", "failed",
         "The template could not be filled in (missing or wrong data)", True,
         "SES rendering failure"),
        ("abuse", "complaint", "The recipient marked the message as spam", True,
         "complaint feedback abuse"),
        (None, "complaint", "The recipient complained about the message", True,
         "complaint feedback other"),
        # SES's own suppression text, stored without its label (the CRM, older logs)
        ("Amazon SES has suppressed sending to this address because it has a recent "
         "history of bouncing as an invalid address.", "bounced",
         "SES did not send: the address is on SES's suppression list", True,
         "SES Permanent/Suppressed"),
        ("something nobody wrote before", "bounced", "The reason is not one the console knows",
         True, "unknown"),
    ],
)  # fmt: skip
def test_explains(
    diagnostic: str | None, status: str, summary: str, permanent: bool, basis: str
) -> None:
    reason = explain(diagnostic, status)
    assert reason is not None
    assert (reason.summary, reason.permanent, reason.basis) == (summary, permanent, basis)
    assert reason.next_step
    assert reason.line().startswith(summary + ": ")


@pytest.mark.parametrize("code", sorted(_CODES))
def test_every_mapped_code_is_read_in_both_classes(code: str) -> None:
    for cls in ("4", "5"):
        reason = explain(f"smtp; {cls}00 {cls}.{code} text", "bounced")
        assert reason is not None
        assert reason.basis == f"code {cls}.{code}"
        assert reason.summary == _CODES[code][0]
        fixed = _CODES[code][2]
        assert reason.permanent == (fixed if fixed is not None else cls == "5")


@pytest.mark.parametrize("label", sorted(_SES))
def test_every_ses_subtype(label: str) -> None:
    reason = explain(label, "bounced")
    assert reason is not None
    assert reason.summary == _SES[label][0]


@pytest.mark.parametrize("feedback", sorted(_COMPLAINTS))
def test_every_complaint_type(feedback: str) -> None:
    reason = explain(feedback, "complaint")
    assert reason is not None
    assert reason.summary == _COMPLAINTS[feedback]


def test_nothing_to_explain() -> None:
    assert explain(None, "delivered") is None
    assert explain("", "bounced") is None
    assert explain("250 2.0.0 OK", "delivered") is None


def test_an_ip_or_version_is_not_a_status_code() -> None:
    reason = explain("Permanent/General: smtp; 550 host 10.5.1.1 said no", "bounced")
    assert reason is not None
    assert reason.basis != "code 5.1.1"


def test_a_suppression_is_explained_by_its_reason() -> None:
    bounced = explain_suppression("bounce", "smtp; 550 5.1.1 user unknown")
    assert bounced is not None and bounced.summary == "The address does not exist"
    complained = explain_suppression("complaint", "abuse")
    assert complained is not None and complained.summary.startswith("The recipient marked")
    assert explain_suppression("manual", "client asked to receive no email") is None
