"""The sandbox's files: what each record is (`FileSeed`), their real bytes, the
S3 uploads (every version, oldest first) and the `files` documents."""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import quote

from bson import ObjectId

from core.config import Settings
from core.models import FileAccess, FileMetadata, FileRecord, S3Info
from core.seed import sample_files
from core.seed.people import DAYS, People, Person, login_of
from core.validation import safe_file_name
from core.vocabulary import FileCategory, FileStatus

# --- files ------------------------------------------------------------------------

_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "txt": "text/plain",
}
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "depllc-console/0.1 (python)",
)


@dataclass
class FileSeed:
    """One file record to be: its versions' bytes (oldest first; none when the upload
    never finished) and everything the record needs."""

    id: ObjectId
    name: str
    category: FileCategory
    owner: Person
    client: Person | None
    created: datetime
    versions: list[bytes]
    status: FileStatus = FileStatus.COMPLETED
    is_public: bool = False
    department: str | None = None
    tags: list[str] = field(default_factory=list)
    deleted_by: str | None = None

    @property
    def content_type(self) -> str:
        return _TYPES[self.name.rsplit(".", 1)[1].lower()]

    def key(self, rng: random.Random) -> str:
        millis = int(self.created.timestamp() * 1000)
        suffix = f"{rng.getrandbits(64):016x}"
        name = safe_file_name(self.name)
        return f"{self.category.value}/{self.owner.userId}/{millis}-{suffix}-{name}"


def _invoice_pdf(number: str, client: Person, amount: float, due: datetime) -> bytes:
    return sample_files.pdf(
        f"Invoice {number}",
        [
            "DepLLC Professional Services, 100 Market Street, Springfield",
            "",
            f"Bill to: {client.name}, {client.company}",
            f"Client ID: {client.clientId}",
            f"Invoice date: {(due - timedelta(days=14)):%d %b %Y}",
            f"Due date: {due:%d %b %Y}",
            "",
            "Description                                   Amount",
            f"Bookkeeping and payroll, monthly retainer      {amount * 0.8:,.2f} USD",
            f"Advisory hours                                  {amount * 0.2:,.2f} USD",
            "",
            f"Total due                                       {amount:,.2f} USD",
            "Payment by bank transfer within 14 days. Thank you for your business.",
        ],
    )


@cache
def _picture(kind: str, seed: int, size: int, cell: int) -> bytes:
    """An avatar-like picture, encoded once per process (the pure-Python encoders take
    about a second for the 256-pixel WebP; every seed of the process reuses it)."""
    encode = {
        "gif": sample_files.gif,
        "png": sample_files.png,
        "jpeg": sample_files.jpeg,
        "webp": sample_files.webp,
    }[kind]
    return encode(sample_files.avatar_pixels(seed, size=size, cell=cell))


def make_file_seeds(rng: random.Random, now: datetime, people: People) -> list[FileSeed]:
    """The sandbox's files: invoices, contracts, documents, avatars, email
    attachments, backups and general files, with a few odd statuses and versions."""
    seeds: list[FileSeed] = []
    staff, clients = people.staff, people.clients
    billing, legal, support = staff[1], staff[2], staff[0]

    def when(max_days: float = DAYS, min_days: float = 0.02) -> datetime:
        # busier lately (about 40% in the last week), as a files list usually is
        return now - timedelta(days=rng.triangular(min_days, max_days, min_days))

    def add(
        name: str,
        category: FileCategory,
        owner: Person,
        versions: list[bytes],
        client: Person | None = None,
        **extra: Any,
    ) -> FileSeed:
        seed = FileSeed(
            ObjectId(f"{rng.getrandbits(96):024x}"),
            name,
            category,
            owner,
            client,
            extra.pop("created", None) or when(),
            versions,
            **extra,
        )
        seeds.append(seed)
        return seed

    for i in range(10):
        client = clients[rng.randrange(len(clients))]
        number = f"INV-2024-{1140 + i:04d}"
        amount = round(rng.uniform(180, 4800), 2)
        created = when()
        pdf = _invoice_pdf(number, client, amount, created + timedelta(days=14))
        add(
            f"{number}.pdf",
            FileCategory.INVOICE,
            billing,
            [pdf],
            client,
            created=created,
            department="dept-finance",
            tags=["invoice", "2024"],
        )
    for i, client in enumerate(rng.sample(clients, 5)):
        versions = [
            sample_files.pdf(
                f"Service agreement - {client.company}",
                [
                    f"Between DepLLC and {client.name} ({client.company}).",
                    f"Revision {v + 1}.",
                    "1. Scope: monthly bookkeeping, payroll, annual accounts.",
                    "2. Fees: as in schedule A, invoiced monthly.",
                    "3. Term: 12 months, renewable.",
                ],
            )
            for v in range(3 if i == 0 else 1)
        ]
        add(
            f"Service agreement – {client.company}.pdf",
            FileCategory.CONTRACT,
            legal,
            versions,
            client,
            department="dept-legal",
            tags=["contract", "signed" if i % 2 else "draft"],
        )
    for client in rng.sample(clients, 2):
        add(
            f"NDA {client.name}.docx",
            FileCategory.CONTRACT,
            legal,
            [
                sample_files.docx(
                    f"Mutual non-disclosure agreement: {client.name}",
                    [
                        "The parties agree to keep confidential information private.",
                        "This agreement is governed by the laws of the State.",
                    ],
                )
            ],
            client,
            department="dept-legal",
            tags=["nda"],
        )

    doc_titles = ("Onboarding checklist", "Q3 financial summary", "Tax filing guide", "Audit notes")
    for title in doc_titles:
        add(
            f"{title}.pdf",
            FileCategory.DOCUMENT,
            rng.choice(staff),
            [
                sample_files.pdf(
                    title,
                    [
                        f"Prepared by DepLLC, {when():%B %Y}.",
                        "Section 1: overview",
                        "Section 2: actions and owners",
                    ],
                )
            ],
            rng.choice(clients),
            tags=["report"],
        )
    for title in ("Meeting minutes 2024-10", "Engagement letter", "Process handbook"):
        add(
            f"{title}.docx",
            FileCategory.DOCUMENT,
            rng.choice(staff),
            [
                sample_files.docx(
                    title, ["Attendees: the account team.", "Decisions and next steps."]
                )
            ],
            tags=["minutes" if "Meeting" in title else "policy"],
        )
    for title in ("Budget 2025", "Payroll October", "Expense report"):
        rows: list[list[str | int | float]] = [["Item", "Month", "Amount (USD)"]]
        rows += [
            [f"Line {n}", f"2024-{rng.randint(1, 12):02d}", round(rng.uniform(10, 9000), 2)]
            for n in range(1, 13)
        ]
        add(
            f"{title}.xlsx",
            FileCategory.DOCUMENT,
            billing,
            [sample_files.xlsx(rows)],
            rng.choice(clients),
            department="dept-finance",
            tags=["finance"],
        )
    for title in ("call-notes.txt", "README for the client folder.txt"):
        add(
            title,
            FileCategory.DOCUMENT,
            support,
            [
                sample_files.text(
                    [
                        f"Notes by {support.name}",
                        "Client asked about the Q3 invoice.",
                        "Follow up next week.",
                    ]
                )
            ],
            rng.choice(clients),
        )
    for title in ("payments-export.csv", "open-invoices.csv"):
        rows = [["invoice", "client", "amount", "status"]]
        rows += [
            [
                f"INV-2024-{n:04d}",
                rng.choice(clients).company,
                round(rng.uniform(50, 5000), 2),
                rng.choice(["paid", "open", "overdue"]),
            ]
            for n in range(1100, 1130)
        ]
        add(
            title,
            FileCategory.DOCUMENT,
            billing,
            [sample_files.csv_bytes(rows)],
            department="dept-finance",
            tags=["export"],
        )

    for i, person in enumerate(staff[:4] + rng.sample(clients, 5)):
        ident = (person.userId or person.clientId or "0").encode()
        seed_value = int.from_bytes(hashlib.sha256(ident).digest()[:4], "big") + i
        pixels = sample_files.avatar_pixels(seed_value)
        kind = ("png", "jpg", "gif", "webp")[i % 4]
        encode = {
            "png": sample_files.png,
            "jpg": sample_files.jpeg,
            "gif": sample_files.gif,
            "webp": sample_files.webp,
        }[kind]
        data = encode(pixels)
        owner = person if person.userId else people.system
        add(
            f"avatar-{login_of(person)}.{kind}",
            FileCategory.AVATAR,
            owner,
            [data],
            None if person.userId else person,
            is_public=True,
            tags=["avatar"],
        )

    for name in ("screenshot-error.png", "signed-form.pdf", "scan-receipt.jpg"):
        kind = name.rsplit(".", 1)[1]
        if kind == "pdf":
            data = sample_files.pdf("Signed form", ["Signed and returned by the client."])
        else:
            data = _picture("png" if kind == "png" else "jpeg", rng.randrange(10**6), 96, 8)
        add(name, FileCategory.EMAIL, support, [data], rng.choice(clients), tags=["inbound"])

    backup_rows: list[list[str | int | float]] = [["clientId", "name", "email", "company"]]
    backup_rows += [[c.clientId or "", c.name, c.email, c.company] for c in clients]
    add(
        "clients-backup.csv",
        FileCategory.BACKUP,
        people.system,
        [sample_files.csv_bytes(backup_rows[:60]), sample_files.csv_bytes(backup_rows)],
        tags=["backup", "nightly"],
    )
    add(
        "crm-settings-backup.txt",
        FileCategory.BACKUP,
        people.system,
        [sample_files.text(["# DepLLC CRM settings export", "timezone=UTC", "currency=USD"])],
        tags=["backup"],
    )
    add(
        "ledger-backup.xlsx",
        FileCategory.BACKUP,
        people.system,
        [sample_files.xlsx(backup_rows[:20], sheet="Clients")],
        tags=["backup"],
    )

    add(
        "office-hours.txt",
        FileCategory.GENERAL,
        support,
        [sample_files.text(["Office hours: Mon-Fri 9:00-17:30", "Phone: +1 555 0100"])],
    )
    add(
        "holiday-schedule.txt",
        FileCategory.GENERAL,
        support,
        [sample_files.text(["Closed 25-26 Dec and 1 Jan."])],
    )
    add(
        "logo.gif",
        FileCategory.GENERAL,
        people.system,
        [_picture("gif", 4242, 48, 6)],
        is_public=True,
        tags=["brand"],
    )
    add(
        "logo.png",
        FileCategory.GENERAL,
        people.system,
        [_picture("png", 4242, 128, 16)],
        is_public=True,
        tags=["brand"],
    )
    add(
        "logo.webp",
        FileCategory.GENERAL,
        people.system,
        [_picture("webp", 4242, 256, 32)],
        is_public=True,
        tags=["brand"],
    )

    # Records in the other states: two soft-deleted (bytes stay in S3 until purged),
    # one failed upload and two still uploading (no object yet).
    for seed in (seeds[3], seeds[20]):
        seed.status, seed.deleted_by = FileStatus.DELETED, login_of(support)
    add(
        "big-scan.pdf",
        FileCategory.DOCUMENT,
        support,
        [],
        rng.choice(clients),
        status=FileStatus.FAILED,
    )
    for name in ("photo-id.jpg", "quarterly-report.pdf"):
        add(
            name,
            FileCategory.DOCUMENT,
            rng.choice(staff),
            [],
            rng.choice(clients),
            status=FileStatus.UPLOADING,
            created=now - timedelta(minutes=rng.uniform(1, 9)),
        )
    return seeds


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def put_versions(s3: Any, bucket: str, key: str, seed: FileSeed) -> list[dict[str, Any]]:
    """Upload each version in order (oldest first); return S3's answers."""
    answers = []
    for body in seed.versions:
        answers.append(
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=seed.content_type,
                ServerSideEncryption="AES256",
                ChecksumSHA256=_sha256_b64(body),
                Metadata={
                    "userid": seed.owner.userId or "",
                    "category": seed.category.value,
                    "originalname": quote(seed.name),
                },
            )
        )
    return answers


def file_records(
    seeds: Sequence[FileSeed],
    keys: Sequence[str],
    answers: Sequence[list[dict[str, Any]]],
    settings: Settings,
    rng: random.Random,
    now: datetime,
) -> list[dict[str, Any]]:
    """The `files` documents for uploaded seeds (S3's ETag/VersionId of the newest
    version)."""
    assert settings.aws_s3_bucket
    docs = []
    for seed, key, puts in zip(seeds, keys, answers, strict=True):
        last = puts[-1] if puts else {}
        body = seed.versions[-1] if seed.versions else b""
        updated = (
            seed.created + timedelta(days=rng.uniform(0, 2)) if len(puts) > 1 else seed.created
        )
        updated = min(updated, now)
        downloads = rng.randint(0, 25) if seed.status == FileStatus.COMPLETED else 0
        record = FileRecord(
            _id=seed.id,
            key=key,
            fileName=safe_file_name(seed.name),
            originalName=seed.name,
            contentType=seed.content_type,
            size=len(body) if seed.status != FileStatus.FAILED else 7_340_032,
            category=seed.category,
            status=seed.status,
            isPublic=seed.is_public,
            userId=seed.owner.userId or "",
            clientId=seed.client.clientId if seed.client else None,
            departmentId=seed.department,
            metadata=FileMetadata(
                uploadedBy=seed.owner.userId or "",
                ipAddress=f"10.20.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                userAgent=rng.choice(_USER_AGENTS),
                checksum=_sha256_b64(body) if puts else None,
                tags=seed.tags,
            ),
            s3Info=S3Info(
                bucket=settings.aws_s3_bucket,
                region=settings.s3_region,
                etag=last.get("ETag"),
                versionId=last.get("VersionId"),
            ),
            access=FileAccess(
                downloadCount=downloads,
                lastAccessed=min(now, updated + timedelta(days=rng.uniform(0, 5)))
                if downloads
                else None,
            ),
            createdAt=seed.created,
            updatedAt=updated,
            sse="AES256" if puts else None,
        )
        if seed.status == FileStatus.DELETED:
            record.deletedAt = min(now, updated + timedelta(days=rng.uniform(0.1, 3)))
            record.deletedBy = seed.deleted_by
            record.updatedAt = record.deletedAt
        docs.append(record.to_mongo())
    return docs
