"""Which alerts the PDF's table prints: every open one, however old or many, and the newest
handled ones in the rows left, all in time order."""

from __future__ import annotations

import datetime as dt

from bot.reports.data import AlertRow
from bot.reports.report_pdf import shown_alerts

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def _alert(hours: int, *, open_: bool) -> AlertRow:
    at = T0 + dt.timedelta(hours=hours)
    return AlertRow(
        at=at,
        severity="same_day" if open_ else "info",
        text=f"alert at {hours} h",
        acknowledged_by=None if open_ else "Dr Lee",
        acknowledged_at=None if open_ else at + dt.timedelta(minutes=5),
    )


def test_a_short_list_is_printed_whole_in_time_order() -> None:
    rows = [_alert(3, open_=True), _alert(1, open_=False), _alert(2, open_=False)]
    assert [a.text for a in shown_alerts(rows, 6)] == [
        "alert at 1 h",
        "alert at 2 h",
        "alert at 3 h",
    ]


def test_an_old_open_alert_is_kept_and_the_oldest_handled_ones_give_way() -> None:
    rows = [_alert(0, open_=True), *(_alert(h, open_=False) for h in range(1, 9))]
    shown = shown_alerts(rows, 6)
    assert [a.text for a in shown] == ["alert at 0 h", *(f"alert at {h} h" for h in range(4, 9))]


def test_open_alerts_beyond_the_limit_are_all_printed() -> None:
    rows = [_alert(h, open_=h % 2 == 0) for h in range(20)]
    shown = shown_alerts(rows, 6)
    assert [a.text for a in shown] == [f"alert at {h} h" for h in range(0, 20, 2)]
