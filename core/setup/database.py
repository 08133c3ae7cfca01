"""MongoDB: the console's own collections exist and every index is in place."""

from __future__ import annotations

from core.db import ALL_INDEXES
from core.models import AUDIT_COLLECTION, SUPPRESSION_COLLECTION
from core.setup.context import SetupContext
from core.setup.plan import Action, Step

# The collections this console adds to the CRM database (the web app's own
# collections are created by the web app; their indexes are ensured below).
OWN_COLLECTIONS = (SUPPRESSION_COLLECTION, AUDIT_COLLECTION)


def plan_database(ctx: SetupContext) -> list[Step]:
    store = ctx.store
    store.ping()  # StoreUnavailableError with a clear message before anything changes
    resource = f"mongodb {ctx.settings.mongodb_db}"
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
    return steps
