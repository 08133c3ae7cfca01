"""Bounce, delay and complaint reasons in plain words, with the agent's next step.

What a remote mail server says (`smtp; 550 5.1.1 <ann@x.com>: Recipient address rejected:
User unknown in virtual alias table`) is turned into one line a support agent can act on.
The input is what the console stores for a recipient: the SES label and the diagnostic
(`Permanent/General: smtp; 550 5.1.1 ...`, `Transient/MailboxFull: ...`, `Delayed
(MailboxFull): ...`, `Rejected: ...`, a complaint's feedback type such as `abuse`).

The order of evidence: an RFC 3463 enhanced status code (`5.1.1`) and its known detail;
then SES's bounce type and subtype; then the frequent providers' texts; then the code's
class (`4.x.x` temporary, `5.x.x` permanent), said to be a fallback; then the basic SMTP
reply code (`550`). The raw diagnostic is always kept beside the explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """`summary` says what happened, `next_step` what the agent does; `basis` what it was
    read from (a code, an SES subtype, a provider's text, or a class fallback)."""

    summary: str
    next_step: str
    permanent: bool
    basis: str

    def line(self) -> str:
        return f"{self.summary}: {self.next_step}"


_SUPPRESSED = "the address is suppressed so nothing more is sent to it"

# Enhanced status codes: (subject, detail) -> (summary, next step, permanent or None).
# None: the class (4 or 5) decides whether it is temporary.
_CODES: dict[str, tuple[str, str, bool | None]] = {
    "1.1": (
        "The address does not exist",
        f"ask the client for a new one; {_SUPPRESSED}",
        True,
    ),
    "1.2": (
        "The recipient's domain does not exist or takes no mail",
        "check the spelling of the domain with the client",
        True,
    ),
    "1.3": ("The address is not a valid address", "correct it with the client", True),
    "1.6": (
        "The mailbox has moved",
        "ask the client for the new address",
        True,
    ),
    "1.10": (  # Microsoft 365's "recipient not found" (RFC 7505 also uses it for null MX)
        "The address does not exist",
        f"ask the client for a new one; {_SUPPRESSED}",
        True,
    ),
    "2.1": (
        "The mailbox is disabled",
        "ask the client for another address",
        None,
    ),
    "2.2": (
        "The mailbox is full",
        "SES gave up after retrying; try again in a day, or ask the client to make room",
        None,
    ),
    "2.3": (
        "The message is larger than the recipient's server accepts",
        "send the attachments as a download link instead",
        None,
    ),
    "3.4": (
        "The message is larger than the recipient's server accepts",
        "send the attachments as a download link instead",
        None,
    ),
    "3.2": (
        "The recipient's server is not accepting mail now",
        "try again later",
        None,
    ),
    "4.1": ("The recipient's server did not answer", "SES retries; try again later", None),
    "4.2": (
        "The connection to the recipient's server broke off",
        "SES retries; try again later",
        None,
    ),
    "4.4": (
        "No route to the recipient's server",
        "check the domain with the client; try again later",
        None,
    ),
    "4.7": (
        "The message expired in the queue before the server took it",
        "try again later or ask for another address",
        None,
    ),
    "6.0": (
        "The recipient's server refused the content",
        "check the attachments (type, size) and links, then resend",
        None,
    ),
    "6.1": (
        "The recipient's server refused an attachment type",
        "send the file as a download link instead",
        None,
    ),
    "7.1": (
        "The recipient's server refused the message (policy or spam filter)",
        "ask the client to allow our sender address, then resend",
        None,
    ),
    "7.23": (
        "The recipient's server failed our SPF check",
        "tell the administrator: the sending domain's SPF record needs fixing",
        None,
    ),
    "7.25": (
        "The recipient's server wants a reverse DNS name for our server",
        "tell the administrator",
        None,
    ),
    "7.26": (
        "The recipient's server failed our authentication (DKIM/DMARC)",
        "tell the administrator: run `depllc doctor` and check the DKIM records",
        None,
    ),
    "7.0": (
        "The recipient's server refused the message for a security reason",
        "ask the client to allow our sender address, then resend",
        None,
    ),
}

# SES bounce subtypes (and delay types), when no status code is given.
_SES: dict[str, tuple[str, str, bool]] = {
    "Permanent/General": (
        "The recipient's server refused the message for good",
        f"read the raw reason, ask the client for another address; {_SUPPRESSED}",
        True,
    ),
    "Permanent/NoEmail": (
        "The address does not exist",
        f"ask the client for a new one; {_SUPPRESSED}",
        True,
    ),
    "Permanent/Suppressed": (
        "SES did not send: the address is on SES's suppression list",
        "ask the client for another address",
        True,
    ),
    "Permanent/OnAccountSuppressionList": (
        "SES did not send: the address is on the account's suppression list",
        "lift it only if the client confirms the address works",
        True,
    ),
    "Transient/General": (
        "The recipient's server refused the message for now",
        "try again later",
        False,
    ),
    "Transient/MailboxFull": (
        "The mailbox is full",
        "SES gave up after retrying; try again in a day, or ask the client to make room",
        False,
    ),
    "Transient/MessageTooLarge": (
        "The message is larger than the recipient's server accepts",
        "send the attachments as a download link instead",
        False,
    ),
    "Transient/ContentRejected": (
        "The recipient's server refused the content",
        "check the attachments and links, then resend",
        False,
    ),
    "Transient/AttachmentRejected": (
        "The recipient's server refused an attachment",
        "send the file as a download link instead",
        False,
    ),
    "Undetermined/Undetermined": (
        "SES could not tell why the message bounced",
        "read the raw reason; try once more, then ask for another address",
        False,
    ),
}

_COMPLAINTS: dict[str, str] = {
    "abuse": "The recipient marked the message as spam",
    "auth-failure": "The recipient's provider reported failed authentication (DKIM/SPF)",
    "fraud": "The recipient reported the message as fraud or phishing",
    "not-spam": "The recipient's provider says the message is not spam",
    "virus": "The recipient's provider reported a virus in the message",
    "other": "The recipient complained about the message",
}

# Frequent provider texts, when the server gave no enhanced code.
_TEXTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"user unknown|no such user|does not exist|unknown user|"
            r"recipient not found|address rejected|mailbox unavailable|"
            r"invalid recipient|no mailbox",
            re.I,
        ),
        "1.1",
    ),
    (
        re.compile(r"mailbox (is )?full|over ?quota|quota exceeded|insufficient storage", re.I),
        "2.2",
    ),
    (re.compile(r"message (size )?(is )?too (large|big)|exceeds .*size", re.I), "2.3"),
    (re.compile(r"greylist|try again later|temporarily deferred|rate limit", re.I), "3.2"),
    (re.compile(r"spam|blocked|blacklist|blocklist|listed|policy|not authori[sz]ed", re.I), "7.1"),
]

# SES's own words when its suppression list stopped a send (what the CRM or an older
# console stored without the "Permanent/Suppressed:" label the events worker adds)
_SES_SUPPRESSED = re.compile(r"^Amazon SES has suppressed sending to this address", re.I)
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_BASIC = re.compile(r"(?<!\d)([45])\d\d(?!\d)")
_LABEL = re.compile(r"^(Permanent|Transient|Undetermined)/(\w+)")
_DELAY = re.compile(r"^Delayed \((\w+)\)")

_CLASS = {
    "4": (
        "A temporary failure (class 4.x.x; this code is not in the console's table)",
        "try again later; read the raw reason",
        False,
    ),
    "5": (
        "A permanent failure (class 5.x.x; this code is not in the console's table)",
        "read the raw reason; ask the client for another address if it names the address",
        True,
    ),
}


def _from_code(cls: str, subject: str, detail: str) -> Reason | None:
    if cls == "2":
        return None
    known = _CODES.get(f"{subject}.{detail}")
    if known is not None:
        summary, step, permanent = known
        if permanent is None:
            permanent = cls == "5"
        return Reason(summary, step, permanent, f"code {cls}.{subject}.{detail}")
    summary, step, permanent = _CLASS[cls]
    return Reason(summary, step, permanent, f"class {cls}.x.x (code {cls}.{subject}.{detail})")


def explain(diagnostic: str | None, status: str | None = None) -> Reason | None:
    """The plain-words reason for a recipient's stored diagnostic, or None when there is
    nothing to explain (delivered, or no diagnostic for a status that needs none)."""
    text = (diagnostic or "").strip()
    if status == "complaint":
        feedback = text.split(":", 1)[0].strip().lower() if text else "other"
        summary = _COMPLAINTS.get(feedback, _COMPLAINTS["other"])
        return Reason(
            summary,
            "do not email them again unless they ask; the address is suppressed",
            True,
            f"complaint feedback {feedback or 'other'}",
        )
    if not text or status == "delivered":
        return None
    if text.startswith("Rejected:"):
        return Reason(
            "SES refused to send the message (it found a virus or a problem in it)",
            "check the attachments, then send again",
            True,
            "SES reject",
        )
    if text.startswith("Rendering failure"):
        return Reason(
            "The template could not be filled in (missing or wrong data)",
            "check the template's data and send again",
            True,
            "SES rendering failure",
        )
    enhanced = _ENHANCED.search(text)
    if enhanced is not None:
        from_code = _from_code(*enhanced.groups())
        if from_code is not None:
            return from_code
    label = _LABEL.match(text)
    delay = _DELAY.match(text)
    ses_key = f"{label.group(1)}/{label.group(2)}" if label else None
    if delay is not None:
        ses_key = f"Transient/{delay.group(1)}"
    if ses_key is None and _SES_SUPPRESSED.match(text):
        ses_key = "Permanent/Suppressed"
    # An SES subtype that says more than "General" wins over a provider's wording.
    if ses_key in _SES and not ses_key.endswith("/General"):
        summary, step, permanent = _SES[ses_key]
        return Reason(summary, step, permanent, f"SES {ses_key}")
    for pattern, code in _TEXTS:
        if pattern.search(text):
            cls = "5" if ses_key is None or ses_key.startswith("Permanent") else "4"
            subject, detail = code.split(".")
            known = _from_code(cls, subject, detail)
            if known is not None:
                return Reason(known.summary, known.next_step, known.permanent, "provider text")
    if ses_key in _SES:
        summary, step, permanent = _SES[ses_key]
        return Reason(summary, step, permanent, f"SES {ses_key}")
    basic = _BASIC.search(text)
    if basic is not None:
        summary, step, permanent = _CLASS[basic.group(1)]
        return Reason(summary, step, permanent, f"SMTP reply {basic.group()} (class fallback)")
    if delay is not None or status == "sent":
        return Reason(
            "Delivery is delayed", "SES keeps retrying; check again later", False, "delay"
        )
    return Reason(
        "The reason is not one the console knows",
        "read the raw reason the server gave",
        status == "bounced",
        "unknown",
    )


def explain_suppression(reason: str, diagnostic: str | None) -> Reason | None:
    """Why a suppression's bounce or complaint happened, in plain words; None for a
    manual suppression (its note says it) or nothing to explain."""
    status = {"bounce": "bounced", "complaint": "complaint"}.get(reason)
    return explain(diagnostic, status) if status else None
