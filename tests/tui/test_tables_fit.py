"""Tables that fit: the Logs list names the recipient that matters (the worst outcome)
with `+N`, cuts long text with an ellipsis, and lets columns give way as the terminal
narrows (Time, Status, To and Subject always stay); the log detail opens at its top with
every recipient row and its suppression state in view."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from core.models import utcnow
from core.runtime import Runtime
from tests.tui.test_hostile_screens import drawn
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.log_detail import LogDetailScreen
from tui.screens.logs import CELL_PADDING, LogsScreen, log_cells, plan_columns


def _log(**fields: Any) -> dict[str, Any]:
    now = utcnow()
    doc: dict[str, Any] = {
        "to": ["ann@acme.example"],
        "from": "noreply@depllc.example",
        "subject": "Hello",
        "content": {"text": "hi"},
        "status": "delivered",
        "category": "notification",
        "priority": "normal",
        "messageId": "ses-x",
        "createdAt": now,
        "updatedAt": now,
        "events": [],
        "size": 1200,
        "cost": 0.0001,
    }
    return doc | fields


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
def test_columns_fit_and_give_way_by_priority(width: int) -> None:
    plan = plan_columns(width)
    assert list(plan)[:4] == ["time", "status", "to", "subject"]
    assert sum(plan.values()) + CELL_PADDING * len(plan) + 2 <= width
    if width >= 160:
        assert set(plan) >= {"category", "priority", "events"}
    if width == 80:  # the last event alone: a delay on a `sent` row, an open, a click
        assert set(plan) == {"time", "status", "to", "subject", "events"}


def test_the_to_column_names_the_worst_recipient_with_the_count() -> None:
    doc = _log(
        to=["ann@acme.example", "bob@acme.example"],
        cc=["cat@acme.example"],
        status="bounced",
        recipientStatus=[
            {"email": "ann@acme.example", "status": "delivered"},
            {"email": "bob@acme.example", "status": "bounced"},
            {"email": "cat@acme.example", "status": "delivered"},
        ],
    )
    assert log_cells(doc)["to"].plain == "bob@acme.example +2"
    one = _log(recipientStatus=[{"email": "ann@acme.example", "status": "delivered"}])
    assert log_cells(one)["to"].plain == "ann@acme.example"


def test_at_80_columns_the_events_cell_is_the_last_event() -> None:
    doc = _log(
        status="sent",
        events=[
            {"type": "send", "timestamp": utcnow()},
            {"type": "send", "timestamp": utcnow(), "metadata": {"sesEventType": "DeliveryDelay"}},
        ],
    )
    assert log_cells(doc, plan_columns(80))["events"].plain == "delay"
    assert log_cells(doc, plan_columns(160))["events"].plain == "delay"
    opened = _log(events=[{"type": t, "timestamp": utcnow()} for t in ("send", "delivery", "open")])
    assert log_cells(opened, plan_columns(80))["events"].plain == "open"
    assert log_cells(opened, plan_columns(160))["events"].plain == "dlv open"


def test_long_text_is_cut_with_an_ellipsis() -> None:
    doc = _log(
        to=["a.very.long.recipient.address.for.testing@subdomain.example-client.example"],
        subject="Invoice INV-2024-1144 for the consulting services of November " * 2,
    )
    widths = plan_columns(80)
    cells = log_cells(doc, widths)
    assert cells["to"].plain.endswith("…") and len(cells["to"].plain) == widths["to"]
    assert cells["subject"].plain.endswith("…")
    assert len(cells["subject"].plain) == widths["subject"]


async def test_logs_at_80_columns_keep_status_and_fit_again_when_wider(runtime: Runtime) -> None:
    runtime.store.emaillogs.insert_one(_log(subject="Password reset", status="bounced"))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.renders >= 1 and screen.table.row_count == 1)
        table = screen.table
        assert [str(c.key.value) for c in table.ordered_columns] == list(plan_columns(80))
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= 80
        row = table.get_row_at(0)
        assert row[1].plain == "bounced"
        await pilot.resize_terminal(160, 40)
        await until(pilot, lambda: len(table.ordered_columns) == 7)
        assert table.row_count == 1 and table.get_row_at(0)[1].plain == "bounced"


async def test_detail_opens_at_its_top_with_every_recipient_and_its_list_state(
    runtime: Runtime,
) -> None:
    people = [f"person{n}@client.example" for n in range(6)]
    runtime.store.suppressions.insert_one(
        {"email": people[5], "reason": "bounce", "at": utcnow(), "by": "ses-events"}
    )
    runtime.store.emaillogs.insert_one(
        _log(
            to=people,
            status="bounced",
            recipientStatus=[
                {
                    "email": p,
                    "status": "bounced" if p == people[5] else "delivered",
                    "updatedAt": utcnow(),
                    "diagnostic": "smtp; 550 5.1.1 user unknown " * 4 if p == people[5] else None,
                }
                for p in people
            ],
        )
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.table.row_count == 1)
        screen.table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        assert isinstance(detail, LogDetailScreen)
        await until(pilot, lambda: detail.detail is not None)
        await pilot.pause(0.1)
        assert detail.query_one("#detail-scroll").scroll_y == 0  # Subject and Status in view
        table = detail.query_one("#detail-recipients", DataTable)
        assert table.row_count == 6
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        assert sum(widths[:3]) <= 78  # Recipient, Status, List: on screen at 80 columns
        last = table.get_row(people[5])
        assert last[2].plain == "suppressed" and last[1].plain == "bounced"
        # drawn: every row, the last one with its marker (not under the scrollbar)
        shown = drawn(app)
        for person in people:
            assert any(person in line for line in shown), f"{person} is hidden"
        assert any(people[5] in line and "suppressed" in line for line in shown)


@pytest.mark.parametrize("status", ["queued", "bounced"])
async def test_a_one_recipient_table_shows_its_row_at_80_columns(
    runtime: Runtime, status: str
) -> None:
    """A single row was drawn under the horizontal scrollbar a long diagnostic brings;
    a queued log (no per-recipient row yet) lists its recipient as queued."""
    ann = "ann.longer-name@client.example"
    fields: dict[str, Any] = {"to": [ann], "status": status}
    if status == "bounced":
        runtime.store.suppressions.insert_one(
            {"email": ann, "reason": "bounce", "at": utcnow(), "by": "ses-events"}
        )
        fields["recipientStatus"] = [
            {
                "email": ann,
                "status": "bounced",
                "updatedAt": utcnow(),
                "diagnostic": "smtp; 550 5.1.1 user unknown " * 4,
            }
        ]
    log_id = runtime.store.emaillogs.insert_one(_log(**fields)).inserted_id
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(LogDetailScreen(str(log_id)))
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        assert isinstance(detail, LogDetailScreen)
        await until(pilot, lambda: detail.detail is not None)
        await pilot.pause(0.1)
        row = next((line for line in drawn(app) if ann in line), "")
        assert status in row, "the recipient row is hidden:\n" + "\n".join(drawn(app))
        if status == "bounced":
            assert "suppressed" in row
        else:  # no diagnostic: no empty column pushing Updated off an 80-column screen
            table = detail.query_one("#detail-recipients", DataTable)
            assert [str(c.label) for c in table.ordered_columns][-1] == "Updated"
            assert table.virtual_size.width <= table.size.width
            assert any("Updated" in line for line in drawn(app))
