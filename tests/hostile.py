"""A corpus of hostile strings from outside (escape sequences, Rich markup, bidi and
control characters, a lone surrogate, a very long line) and a store seeded with them in
every place outside text is kept: subjects, recipients' diagnostics, bounce events,
tags, client ids, bodies, file names and contents (a .txt in S3), suppressions, and
events kept unmatched or set aside. The TUI (Pilot) and command-line tests share it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bson import ObjectId

from core.events.apply import STATE_SET_ASIDE, STATE_UNMATCHED
from core.models import EmailLog, FileMetadata, FileRecord, S3Info, Suppression, utcnow
from core.runtime import Runtime
from core.vocabulary import FileCategory, FileStatus, SuppressionReason

# name -> hostile text (each also shows what it becomes: see SHOWN)
CORPUS: dict[str, str] = {
    "osc52": "clip \x1b]52;c;ZXZpbA==\x07 board",  # writes the operator's clipboard
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",  # a hyperlink
    "clear": "wipe \x1b[2J\x1b[H screen",  # CSI 2J clears the screen
    "c1": "c1 \x9b2J csi",  # the 8-bit CSI
    "markup_close": "Re: [/docs] contract update",  # crashed the detail and `logs show`
    "markup_tags": "[urgent] Q3 [draft] report",  # showed as "Q3  report"
    "markup_link": "[link=https://evil.example]click[/link]",
    "bidi": "Invoice_2026_\u202efdp.bat",  # reads as "...tab.pdf"
    "nul": "nul \x00 byte",
    "vt_ff": "vt \x0b ff \x0c end",
    "nel": "nel \x85 next",
    "lsep": "line \u2028 sep",
    "surrogate": "bad \udc80 half",  # a lone surrogate: cannot even be written as UTF-8
    "long": "L" * 10_000,
}
# what each must show as (the one module's stand-ins)
SHOWN: dict[str, str] = {
    "osc52": "clip ␛]52;c;ZXZpbA==␇ board",
    "osc8": "␛]8;;https://evil.example/␛\\click me",
    "clear": "wipe ␛[2J␛[H screen",
    "c1": "c1 <U+009B>2J csi",
    "markup_close": "Re: [/docs] contract update",
    "markup_tags": "[urgent] Q3 [draft] report",
    "markup_link": "[link=https://evil.example]click[/link]",
    "bidi": "Invoice_2026_<U+202E>fdp.bat",
    "nul": "nul ␀ byte",
    "vt_ff": "vt ␋ ff ␌ end",
    "nel": "nel <U+0085> next",
    "lsep": "line <U+2028> sep",
    "surrogate": "bad <U+DC80> half",
    "long": "L" * 40,
}
# Rich markup that must show literally, character for character
MARKUP = ("markup_close", "markup_tags", "markup_link")

# What must never reach the terminal as a character: C0 controls (a line break is the
# terminal's own between lines), DEL, C1, bidi controls, separators, lone surrogates.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def forbidden(text: str) -> list[str]:
    """The characters of `text` that steer a terminal (as their code points)."""
    return [f"U+{ord(c):04X}" for c in _FORBIDDEN.findall(text)]


# What a store can hold: BSON strings are UTF-8, so a lone surrogate is refused by
# MongoDB (and mongomock); it reaches the terminal through text given on the command
# line or a local file's name instead (tests/tui/test_hostile_cli.py).
STORABLE: dict[str, str] = {k: v for k, v in CORPUS.items() if k != "surrogate"}


@dataclass
class Hostile:
    """What was seeded: ids by corpus name."""

    texts: dict[str, str]
    logs: dict[str, str] = field(default_factory=dict)  # name -> log _id
    files: dict[str, str] = field(default_factory=dict)  # name -> file _id
    everything_log: str = ""  # one log holding every string (detail screen, logs show)
    contents_file: str = ""  # a .txt whose contents are every string


def everything(texts: dict[str, str]) -> str:
    """Every string, one a line."""
    return "\n".join(f"{name}: {value}" for name, value in texts.items())


def seed_hostile(runtime: Runtime) -> Hostile:
    texts = dict(STORABLE)
    seeded = Hostile(texts)
    store = runtime.store
    now = utcnow()
    for n, (name, value) in enumerate(texts.items()):
        seeded.logs[name] = _add_log(runtime, name, value, value, now - timedelta(minutes=n))
        seeded.files[name] = _add_file(runtime, f"{value}.txt", value, b"plain words\n", now)
        store.suppressions.insert_one(
            Suppression(
                email=f"{name}@hostile.example",
                reason=SuppressionReason.BOUNCE,
                messageId=value,
                by=value,
                diagnostic=value,
                at=now - timedelta(minutes=n),
            ).to_mongo()
        )
        store.unmatched_events.insert_one(
            {
                "state": STATE_UNMATCHED,
                "eventId": f"ev-{name}",
                "messageId": value,
                "type": value,
                "receivedAt": now - timedelta(minutes=n),
            }
        )
        store.unmatched_events.insert_one(
            {
                "state": STATE_SET_ASIDE,
                "eventId": value,
                "reason": value,
                "receivedAt": now - timedelta(minutes=n, seconds=30),
            }
        )
    all_of_them = everything(texts)
    seeded.everything_log = _add_log(
        runtime, "everything", texts["markup_close"], all_of_them, now + timedelta(minutes=1)
    )
    seeded.contents_file = _add_file(runtime, "contents.txt", "contents", all_of_them.encode(), now)
    return seeded


def _add_log(runtime: Runtime, name: str, subject: str, text: str, at: Any) -> str:
    address = f"{name}@hostile.example"
    diagnostic = f"smtp; 550 {text}"
    log = EmailLog.model_validate(
        {
            "messageId": f"hostile-{name}-{ObjectId()}",
            "to": [address],
            "from": "noreply@depllc.example",
            "subject": subject,
            "content": {"text": text},
            "category": "notification",
            "status": "bounced",
            "size": 1000,
            "tags": {"campaign": text},
            "clientId": text,
            "error": text,
            "recipientStatus": [
                {"email": address, "status": "bounced", "updatedAt": at, "diagnostic": diagnostic}
            ],
            "events": [
                {
                    "type": "bounce",
                    "timestamp": at,
                    "metadata": {
                        "bounceType": "Permanent",
                        "bounceSubType": text,
                        "recipients": [{"emailAddress": address, "diagnosticCode": diagnostic}],
                    },
                }
            ],
            "createdAt": at,
            "updatedAt": at,
        }
    )
    return str(runtime.store.emaillogs.insert_one(log.to_mongo()).inserted_id)


def _add_file(runtime: Runtime, original: str, text: str, body: bytes, at: Any) -> str:
    bucket = runtime.settings.aws_s3_bucket
    assert bucket
    key = f"files/hostile/{ObjectId()}.txt"
    put = runtime.aws.s3.put_object(Bucket=bucket, Key=key, Body=body)
    record = FileRecord(
        key=key,
        fileName=key.rsplit("/", 1)[-1],
        originalName=original,
        contentType="text/plain",
        size=len(body),
        category=FileCategory.DOCUMENT,
        status=FileStatus.COMPLETED,
        isPublic=True,
        userId=runtime.user_id,
        clientId=text,
        metadata=FileMetadata(uploadedBy=runtime.user_id, tags=[text]),
        s3Info=S3Info(
            bucket=bucket,
            region=runtime.settings.aws_region,
            etag=put.get("ETag"),
            versionId=put.get("VersionId"),
        ),
        createdAt=at,
        updatedAt=at,
    )
    return str(runtime.store.files.insert_one(record.to_mongo()).inserted_id)
