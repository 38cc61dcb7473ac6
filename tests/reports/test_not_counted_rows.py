"""The clinician's PDF says a result the athlete sent was not counted (its session did not
count, or it came while running was stopped), never "not recorded yet" about it: the athlete's
"Why?" and the stall alert say the same."""

from __future__ import annotations

from bot.reports.criteria import criteria_rows
from engine.models import DayRecord
from engine.programme import replay
from engine.status import stage_status
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import BASE, D0, HAM, day, session

HAMSTRING = protocol("hamstring")


def _rows_after(days: list[DayRecord]) -> dict[str, str]:
    timeline = replay(HAMSTRING, HAM, BASE, days, start=D0)
    status = stage_status(HAMSTRING, HAM, BASE, timeline.final_state, days)
    return {row.name: row.observed for row in criteria_rows(HAMSTRING, status)}


def test_a_range_test_sent_with_a_session_over_the_cap_reads_not_counted() -> None:
    checks = {"slr_lsi_pct": 85, "aket_lsi_pct": 80}
    over_cap = day(0, set_stage="H2", s=session(88, checks=checks))
    rows = _rows_after([over_cap])
    slr = next(v for k, v in rows.items() if "SLR" in k or "straight" in k.lower())
    assert slr == "sent, not counted: its session did not count", rows
    # What was never sent still reads as such.
    assert "not recorded yet" in rows.values(), rows
