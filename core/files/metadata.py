"""Edit a file's tags, category, visibility and client, with an audit entry that
says what changed (before -> after)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import audit
from core.errors import InputError
from core.files.catalogue import Access, get_file
from core.files.checks import check_tags
from core.models import FileRecord, utcnow
from core.validation import check_client_id
from core.vocabulary import FileCategory

if TYPE_CHECKING:
    from core.runtime import Runtime

_UNSET: Any = object()
_FIELD = {"tags": "metadata.tags"}


def update_metadata(
    runtime: Runtime,
    ref: str,
    *,
    tags: list[str] | None = None,
    add_tags: list[str] | None = None,
    remove_tags: list[str] | None = None,
    category: FileCategory | str | None = None,
    is_public: bool | None = None,
    client_id: str | None = _UNSET,
) -> FileRecord:
    """Change what was given (`client_id=""` clears the client); nothing given is a
    view of the record (read access only)."""
    changes = (
        tags is not None
        or bool(add_tags or remove_tags)
        or category is not None
        or is_public is not None
        or client_id is not _UNSET
    )
    record = get_file(runtime, ref, Access.CHANGE if changes else Access.READ)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if tags is not None or add_tags or remove_tags:
        current = list(record.metadata.tags) if tags is None else list(tags)
        current += list(add_tags or [])
        dropped = set(remove_tags or [])
        new_tags = check_tags([t for t in current if t not in dropped])
        if new_tags != record.metadata.tags:
            before["tags"], after["tags"] = record.metadata.tags, new_tags
    if category is not None:
        try:
            new_category = FileCategory(category)
        except ValueError:
            raise InputError(
                f"Unknown category {category!r}.",
                f"One of: {', '.join(c.value for c in FileCategory)}.",
            ) from None
        if new_category != record.category:
            before["category"], after["category"] = record.category.value, new_category.value
    if is_public is not None and is_public != record.isPublic:
        before["isPublic"], after["isPublic"] = record.isPublic, is_public
    if client_id is not _UNSET:
        value = check_client_id(client_id or "")  # "" clears; "Client Y" is refused
        if value != record.clientId:
            before["clientId"], after["clientId"] = record.clientId, value
    if not after:
        return record
    runtime.store.files.update_one(
        {"_id": record.id},
        {"$set": {_FIELD.get(k, k): v for k, v in after.items()} | {"updatedAt": utcnow()}},
    )
    audit.record(
        runtime.store,
        runtime.operator,
        "edit-metadata",
        record.key,
        fileId=str(record.id),
        before=before,
        after=after,
    )
    return get_file(runtime, str(record.id))
