"""MongoDB: the console's own collections exist and every index is in place."""

from __future__ import annotations

from core.db import ALL_INDEXES
from core.models import AUDIT_COLLECTION, SUPPRESSION_COLLECTION
from core.setup import migrate
from core.setup.context import SetupContext
from core.setup.plan import Action, Step

# The collections this console adds to the CRM database (the web app's own
# collections are created by the web app; their indexes are ensured below).
OWN_COLLECTIONS = (SUPPRESSION_COLLECTION, AUDIT_COLLECTION)


def plan_database(ctx: SetupContext) -> list[Step]:
    store = ctx.store
    store.ping()  # StoreUnavailableError with a clear message before anything changes
    resource = f"mongodb {ctx.settings.database}"
    existing = set(store.db.list_collection_names())
    steps: list[Step] = []
    for name in OWN_COLLECTIONS:
        if name in existing:
            steps.append(Step(resource, f"collection {name}", "exists", Action.NONE))
        else:

            def create(name: str = name) -> None:
                if name not in store.db.list_collection_names():
                    store.db.create_collection(name)

            steps.append(
                Step(resource, f"collection {name}", "missing", Action.CREATE, apply=create)
            )
    missing = store.missing_indexes()
    total = sum(len(specs) for specs in ALL_INDEXES.values())
    if not missing:
        steps.append(Step(resource, "indexes", f"all {total} present", Action.NONE))
    else:
        more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        shown = ", ".join(missing[:4]) + more

        def ensure() -> None:
            store.ensure_indexes()

        steps.append(
            Step(
                resource,
                "indexes",
                f"{len(missing)} of {total} missing",
                Action.CREATE,
                f"create {shown}",
                apply=ensure,
            )
        )
    if store.emaillogs.estimated_document_count():  # an empty database has nothing to check
        steps.append(_migration_step(ctx, resource))
    return steps


def _migration_step(ctx: SetupContext, resource: str) -> Step:
    """Logs written before the console kept to the CRM's schema (core.setup.migrate)."""
    store = ctx.store
    count = migrate.pending(store)
    if not count:
        return Step(resource, "email logs", "all in the CRM's schema", Action.NONE)

    def run() -> str | None:
        report = migrate.migrate(store)
        if report.skipped:
            return (
                f"{report.skipped} logs kept changing while being migrated: "
                "run `depllc setup` again."
            )
        return None

    return Step(
        resource,
        "email logs",
        f"{count} with event types the CRM's schema refuses",
        Action.UPDATE,
        "store them as send events naming SES's type (metadata.sesEventType)",
        apply=run,
    )
