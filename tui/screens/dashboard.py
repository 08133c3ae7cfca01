"""Dashboard: the last 30 days at a glance. Cards for the figures and the rates
(coloured as they near SES's review thresholds), a sparkline per day, SES's quota
(sent in the last 24 h against the maximum, and the send rate) and SES's own
two-week statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, Sparkline, Static

from tui import outside_text
from tui.screens.base import ServiceScreen
from tui.widgets.row_table import WIDE

if TYPE_CHECKING:
    from core.events.rates import Rates
    from core.logs.analytics import Analytics
    from core.ses_thresholds import Level

DAYS = 30
CARDS = ("total", "delivered", "bounce", "complaint", "cost", "size")


def pct(value: float) -> str:
    return f"{value * 100:.2f}%"


class DashboardScreen(ServiceScreen):
    TITLE = "Dashboard"
    DEFAULT_CSS = """
    #dash-cards { height: auto; padding: 0 1; }
    .dash-card {
        width: 1fr;
        height: 5;
        border: round $panel;
        padding: 0 1;
        content-align: center middle;
        text-align: center;
    }
    DashboardScreen.-narrow .dash-card { height: 4; padding: 0; }
    .dash-card.-ok { border: round $success; }
    .dash-card.-warn { border: round $warning; color: $warning; }
    .dash-card.-critical { border: round $error; color: $error; text-style: bold; }
    .dash-section { margin: 1 1 0 1; text-style: bold; color: $accent; }
    .dash-spark { height: 3; margin: 0 1; }
    #dash-bounces > .sparkline--max-color { color: $error; }
    #dash-lower { height: auto; }
    #dash-lower > Vertical { width: 1fr; height: auto; padding: 0 1; }
    DashboardScreen.-narrow #dash-lower { layout: grid; grid-size: 2; grid-rows: auto; }
    #dash-quota-bar { width: 1fr; }
    #dash-summary.-error { color: $error; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("ctrl+l,f5", "reload", "Refresh", key_display="F5", id="dashboard.refresh"),
    ]

    _shown: tuple[Analytics, list[Rates] | None] | None = None  # the figures on screen

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="dash-summary", classes="summary")
        # one scrolling body that keeps the focus: at 80x24 the lower panels are below
        # the fold, and the arrows, PgUp/PgDn, Home and End reach them
        with VerticalScroll(id="dash-body"):
            with Horizontal(id="dash-cards"):
                for key in CARDS:
                    yield Static("…", id=f"dash-{key}", classes="dash-card")
            yield Label(f"Emails per day, last {DAYS} days", classes="dash-section")
            yield Sparkline([0] * DAYS, id="dash-daily", classes="dash-spark")
            yield Label("Bounces and complaints per day", classes="dash-section")
            yield Sparkline([0] * DAYS, id="dash-bounces", classes="dash-spark")
            with Horizontal(id="dash-lower"):
                with Vertical():
                    yield Label("SES quota (last 24 h)", classes="dash-section")
                    yield ProgressBar(total=1, show_eta=False, id="dash-quota-bar")
                    yield Static("", id="dash-quota")
                    yield Static("", id="dash-ses")
                with Vertical():
                    yield Label("Rolling rates (simulator excluded)", classes="dash-section")
                    yield Static("", id="dash-rolling")
                with Vertical():
                    yield Label("By status", classes="dash-section")
                    yield Static("", id="dash-status")
                with Vertical():
                    yield Label("By category", classes="dash-section")
                    yield Static("", id="dash-category")

    def on_mount(self) -> None:  # (then ServiceScreen's, which loads: no super() call)
        self.query_one("#dash-body").focus()

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        if self.runtime is not None:
            self.load()

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def load(self) -> None:
        from datetime import UTC, datetime, timedelta

        from core.events.rates import WINDOWS, rolling_rates
        from core.logs.analytics import Analytics, compute, with_ses

        runtime = self.runtime
        assert runtime is not None
        since = datetime.now(UTC) - timedelta(days=DAYS)
        try:
            store_figures = compute(runtime.store, since=since, days=DAYS)
        except Exception as exc:
            from core.outage import unreachable_side

            if unreachable_side(exc) == "MongoDB":  # SES still answers: show its quota
                ses_only = with_ses(Analytics.empty(), runtime)
                self.app.call_from_thread(self._show_ses, ses_only)
            raise
        figures = with_ses(store_figures, runtime)
        rolling = [rolling_rates(runtime.store, days) for days in WINDOWS]
        self.app.call_from_thread(self.show, figures, rolling)

    def _card(self, key: str, title: str, value: str, level: Level | None = None) -> None:
        card = self.query_one(f"#dash-{key}", Static)
        for name in ("-ok", "-warn", "-critical"):
            card.remove_class(name)
        if level is not None:
            card.add_class(f"-{level.value}")
        text = Text(justify="center")
        text.append(f"{value}\n", style="bold")
        text.append(title, style="dim")
        card.update(text)

    def on_resize(self, event: events.Resize) -> None:
        if self._shown is not None:
            self.show(*self._shown)  # the cards' long or short titles

    def show(self, figures: Analytics, rolling: list[Rates] | None = None) -> None:
        import humanize

        self._shown = (figures, rolling)
        rates = figures.rates
        # under 100 columns a card has room for one word: its border colour says the level
        long = self.app.size.width >= WIDE
        left_out = f" · {figures.simulator:,} simulator left out" if figures.simulator else ""
        total, delivered, bounce, complaint, cost, size = (
            (
                f"emails in {DAYS} days",
                f"delivered of {rates.accepted:,}{left_out}",
                "bounces · SES at 5%",
                "complaints · SES at 0.1%",
                "cost",
                "average size",
            )
            if long
            else ("emails", "delivered", "bounces", "complaints", "cost", "avg size")
        )
        self._card("total", total, f"{figures.total:,}")
        self._card("delivered", delivered, pct(rates.delivered))
        self._card("bounce", bounce, pct(rates.bounce), rates.bounce_level)
        self._card("complaint", complaint, pct(rates.complaint), rates.complaint_level)
        self._card("cost", cost, f"${figures.cost:,.4f}")
        self._card("size", size, humanize.naturalsize(figures.avg_size))
        self.query_one("#dash-daily", Sparkline).data = [d.total for d in figures.daily]
        self.query_one("#dash-bounces", Sparkline).data = [
            d.bounced + d.complaints for d in figures.daily
        ]
        self._show_ses(figures)
        self.query_one("#dash-rolling", Static).update(_rolling(rolling or []))
        self.query_one("#dash-status", Static).update(_counts(figures.by_status))
        self.query_one("#dash-category", Static).update(_counts(figures.by_category))
        first, last = figures.daily[0].day, figures.daily[-1].day
        summary = self.query_one("#dash-summary", Static)
        summary.set_class(bool(figures.ses_error), "-error")
        note = f" · SES: {figures.ses_error}" if figures.ses_error else ""
        summary.update(outside_text.text(f"{first} → {last} (UTC days) · F5 refreshes{note}"))

    def _show_ses(self, figures: Analytics) -> None:
        bar = self.query_one("#dash-quota-bar", ProgressBar)
        quota_text = self.query_one("#dash-quota", Static)
        if figures.quota is None:
            bar.update(total=1, progress=0)
            quota_text.update(Text("quota unavailable", style="dim"))
        else:
            quota = figures.quota
            bar.display = not quota.unlimited  # no daily limit: nothing to fill
            bar.update(total=max(quota.max_24h, 1), progress=quota.sent_24h)
            style = "bold red" if quota.used >= 0.9 else "yellow" if quota.used >= 0.75 else ""
            quota_text.update(Text(f"{quota.usage_text()} · {quota.pace_text()}", style=style))
        stats = figures.ses_stats
        if stats is None:
            self.query_one("#dash-ses", Static).update("")
            return
        r = stats.rates
        self.query_one("#dash-ses", Static).update(
            Text(
                f"SES, last 2 weeks: {stats.attempts:,} attempts · "
                f"{stats.bounces:,} bounces ({pct(r.bounce)}) · "
                f"{stats.complaints:,} complaints ({pct(r.complaint)}) · "
                f"{stats.rejects:,} rejects",
                style="dim",
            )
        )


def _counts(values: dict[str, Any]) -> Text:
    text = Text()
    shown = {outside_text.line(k, 24): v for k, v in values.items()}  # stored values
    width = max((len(k) for k in shown), default=0)
    for key, count in sorted(shown.items(), key=lambda kv: -int(kv[1])):
        text.append(f"{key:<{width}}  ", style="bold")
        text.append(f"{int(count):>7,}\n")
    return text


_LEVEL_STYLE = {"ok": "green", "warn": "yellow", "critical": "bold red"}


def _rolling(windows: list[Rates]) -> Text:
    """`7 d  bounces 1.2%  complaints 0.00%  (250 sent)`, each rate coloured by level."""
    text = Text()
    for rates in windows:
        text.append(f"{rates.days:>2} d  ")
        text.append(f"bounces {rates.bounce_rate:.1%}", style=_LEVEL_STYLE[rates.bounce_level])
        text.append("  ")
        text.append(
            f"complaints {rates.complaint_rate:.2%}", style=_LEVEL_STYLE[rates.complaint_level]
        )
        text.append(f"  ({rates.sent:,} sent)\n", style="dim")
    return text
