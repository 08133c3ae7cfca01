"""Seed data for the sandbox: a month of a small CRM's email and files.

- 520 email logs over the last 30 days: every category, priority and status, one
  `recipientStatus` row per recipient, SES-shaped events (metadata keys exactly as
  documented on `core.models.EmailEvent`) with `eventId`s, costs and MIME-like sizes,
  invoice reminders carrying attachments that point at the seeded invoice PDFs.
- `suppressions` for every permanent bounce and complaint (plus two manual ones).
- 54 file records, 51 with real bytes in the sandbox bucket (PDF, PNG, JPEG, GIF,
  WebP, DOCX, XLSX, CSV, TXT) under the guide's key layout, SHA-256 checksums, the
  ETag and VersionId S3 returned, a few objects with several versions, and a few
  records deleted, failed or still uploading.

Deterministic: seeded `random.Random`s drive everything; only the dates move,
relative to the moment of seeding.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.config import Settings
from core.db import Store
from core.identity import sandbox_identity
from core.models import EmailLog, Suppression, utcnow
from core.seed.files import FileSeed, file_records, make_file_seeds, put_versions
from core.seed.logs import make_logs
from core.seed.people import make_people
from core.vocabulary import FileCategory

SEED = 20_240_611

Progress = Callable[[str], None]


# --- the whole seed ----------------------------------------------------------------


@dataclass(frozen=True)
class SeedSummary:
    logs: int
    files: int
    objects: int
    versions: int
    suppressions: int


@dataclass
class SeedPlan:
    """Everything to seed, built without touching AWS or the store (so it can be
    built while the sandbox's server starts)."""

    rng: random.Random
    now: datetime
    file_seeds: list[FileSeed]
    keys: list[str]
    logs: list[EmailLog]
    suppressions: list[Suppression]


def plan_seed(settings: Settings, now: datetime | None = None) -> SeedPlan:
    rng = random.Random(SEED)
    now = now or utcnow()
    me = sandbox_identity(settings)
    people = make_people(rng, operator=me.login, user_id=me.user_id)
    file_seeds = make_file_seeds(rng, now, people)
    keys = [seed.key(rng) for seed in file_seeds]
    invoices = [s for s in file_seeds if s.category == FileCategory.INVOICE]
    logs, suppressions = make_logs(rng, now, people, settings, invoices)
    return SeedPlan(rng, now, file_seeds, keys, logs, suppressions)


def apply_seed(
    plan: SeedPlan, store: Store, aws: Any, settings: Settings, progress: Progress | None = None
) -> SeedSummary:
    """Upload the files (every version, through a thread pool) while the logs and
    suppressions are inserted, then insert the file records with S3's answers."""
    bucket = settings.aws_s3_bucket
    assert bucket, "the sandbox bucket is provisioned before seeding"
    s3 = aws.s3
    say = progress or (lambda _text: None)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="seed-s3") as pool:
        futures = [
            pool.submit(put_versions, s3, bucket, key, seed)
            for key, seed in zip(plan.keys, plan.file_seeds, strict=True)
        ]
        store.bulk_insert(store.emaillogs, [log.to_mongo() for log in plan.logs])
        store.bulk_insert(store.suppressions, [s.to_mongo() for s in plan.suppressions])
        say("starting sandbox: uploading files…")
        answers = [f.result() for f in futures]
    store.bulk_insert(
        store.files, file_records(plan.file_seeds, plan.keys, answers, settings, plan.rng, plan.now)
    )
    return SeedSummary(
        logs=len(plan.logs),
        files=len(plan.file_seeds),
        objects=sum(1 for a in answers if a),
        versions=sum(len(a) for a in answers),
        suppressions=len(plan.suppressions),
    )


def seed_all(
    store: Store,
    aws: Any,
    settings: Settings,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SeedSummary:
    """Seed email logs, suppressions and files."""
    return apply_seed(plan_seed(settings, now), store, aws, settings, progress)
