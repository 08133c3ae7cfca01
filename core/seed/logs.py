"""The sandbox's email logs: what each message says (`Draft`), and `LogBuilder`,
which sends them in time order through SES-shaped outcomes and events."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from core.config import Settings
from core.models import EmailContent, EmailEvent, EmailLog, RecipientStatus, Suppression
from core.seed.files import FileSeed
from core.seed.people import (
    CLIENT_DOMAINS,
    DAYS,
    FIRST_NAMES,
    LAST_NAMES,
    People,
    Person,
    login_of,
    new_uuid,
    to_ms,
)
from core.vocabulary import (
    EmailCategory,
    EmailEventType,
    EmailPriority,
    EmailStatus,
    SuppressionReason,
    worst_status,
)

COST_PER_RECIPIENT = 0.0001  # SES: $0.10 per 1,000 messages
COST_PER_ATTACHMENT_GB = 0.12
SES_EVENTS_BY = "ses-events"
LOG_COUNT = 520

# --- email logs ----------------------------------------------------------------

_SMTP_OK = (
    "250 2.0.0 OK  {ts} {tag}.{n} - gsmtp",
    "250 2.6.0 <{mid}@email.amazonses.com> [InternalId={n}] Queued mail for delivery",
    "250 Ok: queued as {tag}",
    "250 2.0.0 Ok: queued as {tag}",
)
_PERMANENT = (
    ("General", "5.1.1", "smtp; 550 5.1.1 user unknown"),
    ("NoEmail", "5.1.1", "smtp; 550 5.1.1 <{email}>: Recipient address rejected: User unknown"),
    ("General", "5.1.10", "smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found"),
    (
        "Suppressed",
        "5.1.1",
        "Amazon SES has suppressed sending to this address because it has "
        "a recent history of bouncing as an invalid address.",
    ),
)
_TRANSIENT = (
    (
        "MailboxFull",
        "4.2.2",
        "smtp; 452 4.2.2 The email account that you tried to reach is over quota",
    ),
    ("General", "4.4.7", "smtp; 421 4.4.7 Message expired: unable to deliver in 840 minutes"),
    ("MessageTooLarge", "5.3.4", "smtp; 552 5.3.4 Message size exceeds fixed maximum message size"),
    ("ContentRejected", "5.7.1", "smtp; 554 5.7.1 Message rejected as spam by content filtering"),
)
_SEND_ERRORS = (
    "MessageRejected: Email address is not verified. The following identities failed the "
    "check in region US-EAST-1: billing@depllc.example",
    "Throttling: Maximum sending rate exceeded.",
    "AccountSendingPausedException: Email sending is disabled for the account.",
    "InvalidParameterValue: Missing final '@domain'",
)
_MAIL_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Microsoft Outlook 16.0.17328",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
_COMPLAINT_AGENTS = ("Yahoo!-Mail-Feedback/2.0", "AOL SComp", "Hotmail FBL", "Comcast FBL")
_CATEGORY_WEIGHTS = {
    EmailCategory.NOTIFICATION: 34,
    EmailCategory.CLIENT_PORTAL: 20,
    EmailCategory.MARKETING: 18,
    EmailCategory.AUTH: 16,
    EmailCategory.SYSTEM: 12,
}
_PRIORITY_WEIGHTS = {
    EmailPriority.NORMAL: 60,
    EmailPriority.HIGH: 20,
    EmailPriority.LOW: 12,
    EmailPriority.URGENT: 8,
}
# Forced at the start so every status, category and priority is present whatever
# the random draws give.
_FORCED_STATUS = (
    EmailStatus.QUEUED,
    EmailStatus.SENT,
    EmailStatus.DELIVERED,
    EmailStatus.BOUNCED,
    EmailStatus.COMPLAINT,
    EmailStatus.FAILED,
)


@dataclass
class Draft:
    """What a message says, before it is sent."""

    subject: str
    text: str
    html: str
    template_id: str | None = None
    template_data: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    custom: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] | None = None
    link: str = "https://portal.depllc.example/"


def _html(text: str, link: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n\n"))
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif">'
        f'{paragraphs}<p><a href="{link}">{link}</a></p></body></html>'
    )


def _draft(
    rng: random.Random,
    category: EmailCategory,
    person: Person,
    created: datetime,
    invoices: Sequence[FileSeed],
) -> Draft:
    first = person.name.split()[0]
    if category == EmailCategory.AUTH:
        kind = rng.choice(["reset", "reset", "code", "signin", "verify"])
        if kind == "reset":
            token = f"{rng.getrandbits(128):032x}"
            link = f"https://portal.depllc.example/reset-password?token={token}"
            text = (
                f"Hello {first},\n\nSomeone asked to reset the password of your DepLLC account. "
                "The link below works for 30 minutes.\n\nIf it was not you, ignore this email."
            )
            return Draft(
                "Reset your DepLLC password",
                text,
                _html(text, link),
                tags={"flow": "password-reset"},
                link=link,
            )
        if kind == "code":
            code = f"{rng.randint(0, 999_999):06d}"
            text = f"Hello {first},\n\nYour sign-in code is {code}. It expires in 10 minutes."
            return Draft(
                f"Your DepLLC sign-in code: {code}",
                text,
                _html(text, "https://portal.depllc.example/"),
                tags={"flow": "otp"},
            )
        if kind == "signin":
            text = (
                f"Hello {first},\n\nWe noticed a new sign-in to your account from Chrome on "
                f"Windows at {created:%H:%M} UTC. If this was you, nothing to do."
            )
            return Draft(
                "New sign-in to your DepLLC account",
                text,
                _html(text, "https://portal.depllc.example/security"),
                tags={"flow": "alert"},
            )
        link = f"https://portal.depllc.example/verify?token={rng.getrandbits(96):024x}"
        text = f"Hello {first},\n\nPlease confirm your email address to finish setting up."
        return Draft(
            "Confirm your email address",
            text,
            _html(text, link),
            tags={"flow": "verify-email"},
            link=link,
        )
    if category == EmailCategory.NOTIFICATION:
        kind = rng.choice(["invoice", "invoice", "payment", "appointment", "shared"])
        if kind == "invoice" and invoices:
            invoice = rng.choice(invoices)
            number = invoice.name.removesuffix(".pdf")
            due = invoice.created + timedelta(days=14)
            data = {
                "name": first,
                "invoice": number,
                "amount": f"${rng.uniform(180, 4800):,.2f}",
                "due": f"{due:%d %b %Y}",
            }
            text = (
                f"Hello {first},\n\nInvoice {number} for {data['amount']} is due on "
                f"{data['due']}.\n\nThe invoice is attached. Reply with any question."
            )
            size = len(invoice.versions[-1])
            return Draft(
                f"Invoice {number} is due on {data['due']}",
                text,
                _html(text, "https://portal.depllc.example/invoices"),
                template_id="invoice-reminder",
                template_data=data,
                tags={"type": "invoice"},
                custom={"invoiceNumber": number},
                attachments=[
                    {
                        "filename": invoice.name,
                        "contentType": "application/pdf",
                        "size": size,
                        "fileId": str(invoice.id),
                    }
                ],
            )
        if kind == "payment":
            amount = f"${rng.uniform(90, 6000):,.2f}"
            text = f"Hello {first},\n\nWe received your payment of {amount}. Thank you."
            return Draft(
                f"Payment received: {amount}",
                text,
                _html(text, "https://portal.depllc.example/payments"),
                tags={"type": "receipt"},
            )
        if kind == "appointment":
            at = created + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
            text = (
                f"Hello {first},\n\nA reminder of your appointment with your accountant on "
                f"{at:%A %d %B at 10:30}.\n\nReply to reschedule."
            )
            return Draft(
                f"Appointment reminder: {at:%d %b}, 10:30",
                text,
                _html(text, "https://portal.depllc.example/calendar"),
                tags={"type": "reminder"},
            )
        doc = rng.choice(["Q3 financial summary.pdf", "Tax filing guide.pdf", "Budget 2025.xlsx"])
        text = f"Hello {first},\n\nA document was shared with you: {doc}."
        return Draft(
            f"A document was shared with you: {doc}",
            text,
            _html(text, "https://portal.depllc.example/documents"),
            tags={"type": "share"},
        )
    if category == EmailCategory.MARKETING:
        campaign, subject = rng.choice(
            [
                ("nov-newsletter", "November newsletter: year-end checklist for small businesses"),
                ("webinar-tax", "Webinar on Thursday: tax planning before 31 December"),
                (
                    "offer-bookkeeping",
                    "20% off bookkeeping for new entities until the end of the month",
                ),
                ("survey-2024", "Two minutes to tell us how we are doing?"),
            ]
        )
        text = (
            f"Hello {first},\n\n{subject}.\n\nRead more on our site.\n\n"
            "You receive this because you are a DepLLC client. Unsubscribe any time."
        )
        link = f"https://depllc.example/{campaign}?utm_source=email&utm_campaign={campaign}"
        return Draft(subject, text, _html(text, link), tags={"campaign": campaign}, link=link)
    if category == EmailCategory.SYSTEM:
        subject, body = rng.choice(
            [
                ("Nightly backup completed", "The nightly backup finished: 3 files, 0 errors."),
                ("Weekly sending report", "Sent 1,204 messages this week; bounce rate 1.1%."),
                ("Storage quota at 85%", "The files bucket uses 85% of its planned quota."),
                ("SES sending quota check", "Daily quota used: 12%. Max send rate: 14/s."),
                ("Failed login attempts", "12 failed sign-ins for one account in 10 minutes."),
            ]
        )
        text = f"{body}\n\nThis is an automatic message from the CRM."
        return Draft(
            f"[CRM] {subject}",
            text,
            _html(text, "https://crm.depllc.example/admin"),
            tags={"source": "scheduler"},
        )
    kind = rng.choice(["contract", "welcome", "message", "document"])
    if kind == "contract":
        number = f"C-{rng.randint(1000, 1999)}"
        deadline = f"{created + timedelta(days=7):%d %b %Y}"
        data = {"name": first, "contract": number, "deadline": deadline}
        text = f"Hello {first},\n\nContract {number} is ready. Sign by {deadline}."
        return Draft(
            f"Your contract {number} is ready to sign",
            text,
            _html(text, "https://portal.depllc.example/contracts"),
            template_id="contract-ready",
            template_data=data,
            tags={"type": "contract"},
        )
    if kind == "welcome":
        data = {"name": first, "portal_url": "https://portal.depllc.example/"}
        text = f"Hello {first},\n\nYour client portal is ready: {data['portal_url']}"
        return Draft(
            f"Welcome to DepLLC, {first}",
            text,
            _html(text, data["portal_url"]),
            template_id="welcome-client",
            template_data=data,
            tags={"type": "welcome"},
        )
    if kind == "message":
        text = f"Hello {first},\n\nYou have a new message from your account manager in the portal."
        return Draft(
            "New message from your account manager",
            text,
            _html(text, "https://portal.depllc.example/messages"),
            tags={"type": "message"},
        )
    text = f"Hello {first},\n\nYour signed documents were filed. You can find them in the portal."
    return Draft(
        "Your documents were filed",
        text,
        _html(text, "https://portal.depllc.example/documents"),
        tags={"type": "filed"},
    )


def _ses_message_id(rng: random.Random, at: datetime) -> str:
    millis = int(at.timestamp() * 1000)
    return f"0100{millis:012x}-{new_uuid(rng)}-000000"


def _mime_size(draft: Draft, recipients: int) -> int:
    """Roughly the raw MIME size SES bills: headers, both bodies (quoted-printable
    grows text ~3%), attachments base64-encoded (4/3)."""
    headers = 620 + 40 * recipients + len(draft.subject)
    bodies = int((len(draft.text) + len(draft.html)) * 1.03) + 300
    attached = sum(4 * ((int(a["size"]) + 2) // 3) + 200 for a in draft.attachments or [])
    return headers + bodies + attached


@dataclass
class _Outcome:
    status: EmailStatus
    events: list[EmailEvent]
    diagnostic: str | None = None
    at: datetime | None = None


class LogBuilder:
    """Builds the logs in time order, so an address suppressed after a permanent
    bounce or a complaint is never mailed again."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        people: People,
        settings: Settings,
        invoices: Sequence[FileSeed],
    ) -> None:
        self.rng = rng
        self.now = now
        self.people = people
        self.settings = settings
        self.invoices = invoices
        self.suppressed: dict[str, Suppression] = {}
        self.dead = [
            f"{rng.choice(FIRST_NAMES).lower()}.{rng.choice(LAST_NAMES).lower()}.old{n}@"
            f"{CLIENT_DOMAINS[n % len(CLIENT_DOMAINS)][0]}"
            for n in range(40)
        ]

    def _event(self, kind: EmailEventType, at: datetime, metadata: dict[str, Any]) -> EmailEvent:
        return EmailEvent.of(kind, to_ms(min(at, self.now)), metadata, new_uuid(self.rng))

    def _recipients(
        self, category: EmailCategory, created: datetime
    ) -> tuple[Person, list[str], list[str]]:
        rng = self.rng
        if category == EmailCategory.SYSTEM:
            main = rng.choice(self.people.internal)
            extra = [p.email for p in rng.sample(self.people.staff, rng.randint(0, 2))]
            return main, [main.email, *extra], []
        # an address is not mailed once it is suppressed (bounce, complaint, request)
        pool = [
            c
            for c in self.people.clients
            if c.email not in self.suppressed or self.suppressed[c.email].at > created
        ]
        main = rng.choice(pool)
        to = [main.email]
        if category != EmailCategory.AUTH and rng.random() < 0.12:
            colleagues = [c for c in pool if c.company == main.company and c is not main]
            to += [c.email for c in rng.sample(colleagues, min(len(colleagues), rng.randint(1, 2)))]
        cc = []
        if (
            category in (EmailCategory.NOTIFICATION, EmailCategory.CLIENT_PORTAL)
            and rng.random() < 0.08
        ):
            cc = [rng.choice(self.people.staff).email]
        return main, to, cc

    def _recipient_outcome(
        self, category: EmailCategory, email: str, sent_at: datetime, wanted: EmailStatus | None
    ) -> tuple[str, str]:
        """(email, fate): the address may be swapped for a dead one when it bounces."""
        rng = self.rng
        age = (self.now - sent_at).total_seconds()
        if wanted is not None:
            fate = {
                EmailStatus.SENT: "delay",
                EmailStatus.DELIVERED: "delivered",
                EmailStatus.BOUNCED: "permanent",
                EmailStatus.COMPLAINT: "complaint",
            }[wanted]
        elif age < 120:
            fate = "pending"
        else:
            roll = rng.random()
            # SES reviews an account at 5% bounces and 0.1% complaints: the sandbox
            # sits at about 2% bounces and a handful of complaints (mostly marketing).
            complaint = 0.012 if category == EmailCategory.MARKETING else 0.001
            if roll < 0.012:
                fate = "permanent"
            elif roll < 0.02:
                fate = "transient"
            elif roll < 0.02 + complaint:
                fate = "complaint"
            elif roll < 0.035 + complaint:
                fate = "delay"
            elif roll < 0.05 + complaint:
                fate = "pending"
            else:
                fate = "delivered"
        if category == EmailCategory.SYSTEM and wanted is None and fate != "pending":
            fate = "delivered"  # internal mail: no bounces or complaints
        if fate == "permanent" and self.dead:
            email = self.dead.pop()
        return email, fate

    def build(self, index: int, created: datetime) -> EmailLog:
        rng = self.rng
        forced = _FORCED_STATUS[index] if index < len(_FORCED_STATUS) else None
        category = (
            list(EmailCategory)[index % 5]
            if index < 10
            else rng.choices(list(_CATEGORY_WEIGHTS), list(_CATEGORY_WEIGHTS.values()))[0]
        )
        if (
            forced in (EmailStatus.BOUNCED, EmailStatus.COMPLAINT)
            and category == EmailCategory.SYSTEM
        ):
            category = EmailCategory.NOTIFICATION
        priority = (
            list(EmailPriority)[index % 4]
            if index < 8
            else rng.choices(list(_PRIORITY_WEIGHTS), list(_PRIORITY_WEIGHTS.values()))[0]
        )
        if category == EmailCategory.AUTH and rng.random() < 0.6:
            priority = EmailPriority.HIGH
        if forced == EmailStatus.QUEUED:
            created = self.now - timedelta(seconds=rng.uniform(5, 50))
        main, to, cc = self._recipients(category, created)
        draft = _draft(rng, category, main, created, self.invoices)
        sender = (
            self.people.system
            if category in (EmailCategory.AUTH, EmailCategory.SYSTEM, EmailCategory.MARKETING)
            else rng.choice(self.people.staff)
        )
        operator = (
            login_of(sender) if sender is not self.people.system and rng.random() < 0.15 else None
        )
        roll = rng.random()
        age = (self.now - created).total_seconds()
        if forced == EmailStatus.QUEUED or (forced is None and age < 60 and roll < 0.5):
            mode = "queued"
        elif forced == EmailStatus.FAILED or (forced is None and roll < 0.022):
            mode = "failed"
        elif forced is None and roll < 0.032:
            mode = "rejected"
        else:
            mode = "sent"

        events: list[EmailEvent] = []
        rows: list[RecipientStatus] = []
        error: str | None = None
        final_to = to
        updated = created
        if mode in ("queued", "failed"):
            message_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            status = EmailStatus.QUEUED if mode == "queued" else EmailStatus.FAILED
            if mode == "failed":
                error = rng.choice(_SEND_ERRORS)
                updated = created + timedelta(milliseconds=rng.randint(80, 900))
                # as core.mail.send records one: the reason on the send event
                events.append(
                    EmailEvent(
                        type=EmailEventType.SEND,
                        timestamp=to_ms(updated),
                        metadata={"error": error},
                    )
                )
            rows = [
                RecipientStatus(email=a, status=status, updatedAt=to_ms(updated), diagnostic=error)
                for a in [*to, *cc]
            ]
        else:
            sent_at = created + timedelta(milliseconds=rng.randint(60, 700))
            message_id = _ses_message_id(rng, sent_at)
            events.append(  # the console's own send event (not one from SES)
                EmailEvent(
                    type=EmailEventType.SEND,
                    timestamp=to_ms(min(sent_at, self.now)),
                    metadata={"sesMessageId": message_id},
                    eventId=new_uuid(rng),
                )
            )
            updated = sent_at
            if mode == "rejected":
                at = sent_at + timedelta(seconds=rng.uniform(1, 20))
                events.append(self._event(EmailEventType.REJECT, at, {"reason": "Bad content"}))
                error = "SES rejected the message: Bad content (a virus was detected)"
                rows = [
                    RecipientStatus(
                        email=a, status=EmailStatus.FAILED, updatedAt=to_ms(at), diagnostic=error
                    )
                    for a in [*to, *cc]
                ]
                updated = at
            else:
                final_to, cc, rows, updated = self._deliver(
                    category, to, cc, sent_at, message_id, events, forced
                )
            events.sort(key=lambda e: e.timestamp)
        status = worst_status([r.status for r in rows])
        return EmailLog(
            _id=ObjectId(f"{rng.getrandbits(96):024x}"),
            messageId=message_id,
            to=final_to,
            **{"from": self.settings.from_email},
            subject=draft.subject,
            content=EmailContent(html=draft.html, text=draft.text),
            category=category,
            status=status,
            priority=priority,
            events=events,
            userId=sender.userId,
            clientId=main.clientId,
            templateId=draft.template_id,
            templateData=draft.template_data,
            cost=0.0
            if mode in ("queued", "failed")
            else round(
                len(rows) * COST_PER_RECIPIENT
                + sum(a["size"] for a in draft.attachments or []) / 1e9 * COST_PER_ATTACHMENT_GB,
                8,
            ),
            size=_mime_size(draft, len(rows)),
            tags=draft.tags,
            customData=draft.custom,
            createdAt=to_ms(created),
            updatedAt=to_ms(max(updated, created)),
            cc=cc or None,
            replyTo=[self.settings.aws_ses_reply_to] if self.settings.aws_ses_reply_to else None,
            recipientStatus=rows,
            error=error,
            operator=operator,
            attachments=draft.attachments,
        )

    def _deliver(
        self,
        category: EmailCategory,
        to: list[str],
        cc: list[str],
        sent_at: datetime,
        message_id: str,
        events: list[EmailEvent],
        forced: EmailStatus | None,
    ) -> tuple[list[str], list[str], list[RecipientStatus], datetime]:
        rng = self.rng
        final_to: list[str] = []
        final_cc: list[str] = []
        fates: list[tuple[str, str]] = []
        for position, address in enumerate([*to, *cc]):
            wanted = (
                forced
                if position == 0
                and forced
                in (
                    EmailStatus.SENT,
                    EmailStatus.DELIVERED,
                    EmailStatus.BOUNCED,
                    EmailStatus.COMPLAINT,
                )
                else None
            )
            email, fate = self._recipient_outcome(category, address, sent_at, wanted)
            if position < len(to):
                final_to.append(email)
            else:
                final_cc.append(email)
            fates.append((email, fate))
        rows: list[RecipientStatus] = []
        latest = sent_at
        delivered_at = sent_at + timedelta(seconds=rng.uniform(0.8, 25))
        delivered = [e for e, f in fates if f in ("delivered", "complaint")]
        if delivered:
            events.append(
                self._event(
                    EmailEventType.DELIVERY,
                    delivered_at,
                    {
                        "recipients": delivered,
                        "smtpResponse": rng.choice(_SMTP_OK).format(
                            ts=int(delivered_at.timestamp()),
                            tag=f"{rng.getrandbits(40):010x}",
                            n=rng.randint(100, 999),
                            mid=message_id,
                        ),
                        "processingTimeMillis": int(
                            (delivered_at - sent_at).total_seconds() * 1000
                        ),
                        "reportingMTA": f"a{rng.randint(8, 48)}-{rng.randint(10, 99)}.smtp-out."
                        f"{self.settings.aws_region}.amazonses.com",
                    },
                )
            )
            latest = delivered_at
        for email, fate in fates:
            if fate == "pending":
                rows.append(
                    RecipientStatus(email=email, status=EmailStatus.SENT, updatedAt=to_ms(sent_at))
                )
            elif fate == "delivered":
                rows.append(
                    RecipientStatus(
                        email=email, status=EmailStatus.DELIVERED, updatedAt=to_ms(delivered_at)
                    )
                )
                latest = max(latest, self._engagement(category, email, delivered_at, events))
            elif fate == "delay":
                at = sent_at + timedelta(minutes=rng.uniform(5, 50))
                diag = "smtp; 421 4.4.0 Unable to connect to remote host: connection timed out"
                events.append(
                    self._event(
                        EmailEventType.DELIVERY_DELAY,
                        at,
                        {
                            "delayType": "TransientCommunicationFailure",
                            "expirationTime": to_ms(
                                min(at, self.now) + timedelta(hours=12)
                            ).isoformat(),
                            "recipients": [
                                {"emailAddress": email, "status": "4.4.1", "diagnosticCode": diag}
                            ],
                        },
                    )
                )
                rows.append(
                    RecipientStatus(
                        email=email,
                        status=EmailStatus.SENT,
                        updatedAt=to_ms(min(at, self.now)),
                        diagnostic=f"Delayed (TransientCommunicationFailure): {diag}",
                    )
                )
                latest = max(latest, at)
            elif fate in ("permanent", "transient"):
                permanent = fate == "permanent"
                sub, code, diag = rng.choice(_PERMANENT if permanent else _TRANSIENT)
                diag = diag.format(email=email)
                kind = "Permanent" if permanent else "Transient"
                stored = f"{kind}/{sub}: {diag}"  # as the events worker stores it
                at = sent_at + timedelta(
                    seconds=rng.uniform(1, 90) if permanent else rng.uniform(300, 50_000)
                )
                events.append(
                    self._event(
                        EmailEventType.BOUNCE,
                        at,
                        {
                            "bounceType": kind,
                            "bounceSubType": sub,
                            "feedbackId": _ses_message_id(rng, at),
                            "recipients": [
                                {
                                    "emailAddress": email,
                                    "action": "failed",
                                    "status": code,
                                    "diagnosticCode": diag,
                                }
                            ],
                        },
                    )
                )
                rows.append(
                    RecipientStatus(
                        email=email,
                        # a transient bounce keeps `sent`, as the events consumer does
                        status=EmailStatus.BOUNCED if permanent else EmailStatus.SENT,
                        updatedAt=to_ms(min(at, self.now)),
                        diagnostic=stored,
                    )
                )
                latest = max(latest, at)
                if permanent:
                    # (the suppression keeps the raw text, as core/events/suppress.py does)
                    self._suppress(email, SuppressionReason.BOUNCE, message_id, at, diag)
            else:  # complaint, after delivery
                self._engagement(category, email, delivered_at, events, opened_only=True)
                at = delivered_at + timedelta(minutes=rng.uniform(3, 2000))
                events.append(
                    self._event(
                        EmailEventType.COMPLAINT,
                        at,
                        {
                            "complaintFeedbackType": "abuse",
                            "feedbackId": _ses_message_id(rng, at),
                            "userAgent": rng.choice(_COMPLAINT_AGENTS),
                            "recipients": [email],
                        },
                    )
                )
                rows.append(
                    RecipientStatus(
                        email=email,
                        status=EmailStatus.COMPLAINT,
                        updatedAt=to_ms(min(at, self.now)),
                        diagnostic="complaint: abuse",
                    )
                )
                latest = max(latest, at)
                self._suppress(email, SuppressionReason.COMPLAINT, message_id, at, "abuse")
        return final_to, final_cc, rows, min(latest, self.now)

    def _engagement(
        self,
        category: EmailCategory,
        email: str,
        delivered_at: datetime,
        events: list[EmailEvent],
        opened_only: bool = False,
    ) -> datetime:
        """Opens and clicks (tracked for everything but system mail)."""
        rng = self.rng
        latest = delivered_at
        if category == EmailCategory.SYSTEM or rng.random() > 0.5:
            return latest
        agent = rng.choice(_MAIL_AGENTS)
        octets = (rng.choice([73, 81, 98, 172, 185]), rng.randint(0, 255), rng.randint(0, 255))
        ip = ".".join(map(str, (*octets, rng.randint(1, 254))))
        opened = delivered_at + timedelta(minutes=rng.expovariate(1 / 90))
        if opened >= self.now:
            return latest
        events.append(
            self._event(EmailEventType.OPEN, opened, {"ipAddress": ip, "userAgent": agent})
        )
        latest = opened
        if not opened_only and rng.random() < 0.3:
            clicked = opened + timedelta(seconds=rng.uniform(4, 240))
            if clicked < self.now:
                link = _link_of(category)
                events.append(
                    self._event(
                        EmailEventType.CLICK,
                        clicked,
                        {"ipAddress": ip, "userAgent": agent, "link": link},
                    )
                )
                latest = clicked
        return latest

    def _suppress(
        self, email: str, reason: SuppressionReason, message_id: str, at: datetime, diagnostic: str
    ) -> None:
        if email not in self.suppressed:
            self.suppressed[email] = Suppression(
                email=email,
                reason=reason,
                messageId=message_id,
                at=to_ms(min(at, self.now)),
                by=SES_EVENTS_BY,
                diagnostic=diagnostic,
            )


def _link_of(category: EmailCategory) -> str:
    return {
        EmailCategory.MARKETING: "https://depllc.example/offers?utm_source=email",
        EmailCategory.AUTH: "https://portal.depllc.example/account",
        EmailCategory.CLIENT_PORTAL: "https://portal.depllc.example/",
        EmailCategory.NOTIFICATION: "https://portal.depllc.example/invoices",
    }.get(category, "https://portal.depllc.example/")


def make_logs(
    rng: random.Random,
    now: datetime,
    people: People,
    settings: Settings,
    invoices: Sequence[FileSeed],
    count: int = LOG_COUNT,
) -> tuple[list[EmailLog], list[Suppression]]:
    """`count` logs spread over the last 30 days (busier on weekdays and office
    hours), oldest built first; the suppressions their bounces and complaints made."""
    # Send times come from their own generator: they depend on the weekday and hour
    # of `now`, and must not shift every later draw when `now` moves.
    clock = random.Random(rng.getrandbits(32))
    times = sorted((_send_time(clock, now) for _ in range(count)), reverse=True)
    # The forced-status logs take the newest slots (so `queued` is plausibly recent).
    builder = LogBuilder(rng, now, people, settings, invoices)
    # Two clients asked to receive no email (before that, they were mailed as usual).
    for client, days in zip(people.clients[-2:], (12, 3), strict=True):
        builder.suppressed[client.email] = Suppression(
            email=client.email,
            reason=SuppressionReason.MANUAL,
            at=to_ms(now - timedelta(days=days)),
            by=login_of(people.staff[0]),
            diagnostic="client asked to receive no email",
        )
    order = list(range(count))[::-1]  # oldest first, so suppressions follow time
    logs: list[EmailLog | None] = [None] * count
    for position in order:
        logs[position] = builder.build(position, times[position])
    return [log for log in logs if log is not None], list(builder.suppressed.values())


def _send_time(rng: random.Random, now: datetime) -> datetime:
    while True:
        at = now - timedelta(seconds=rng.uniform(30, DAYS * 86_400))
        weekend = at.weekday() >= 5
        office = 7 <= at.hour < 19
        if rng.random() < (0.9 if office else 0.25) * (0.35 if weekend else 1.0):
            return at
