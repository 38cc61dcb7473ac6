"""The days of a stop awaiting a clinician's review count as days without a run (protocol
notes (21)).

History that produced the unsafe plan: an athlete at H5 stopped by a red flag (a "pop") on
day 5 and reviewed on day 16 checked in every day, as asked, without running. Those eleven
days were left out of the count of days without a run, so the first plan after the review
was H5's full session: flying sprints and full accelerations at 95–100 % Vmax after eleven
days without any speed, the load spike of reference §3.2 item 5 ("no load spikes,
especially late-stage"). Now the stop's days count, and once the review lifts the stop the
usual gap steps apply: at a stage of max sprints a step back after 7 days, below it a
restart with a capped first run back. Nothing acts during the stop itself (the athlete is
not running): an athlete silent for ten days while stopped is not moved on the day they
answer again.
"""

from __future__ import annotations

from engine.models import ClinicianAction, DayRecord
from engine.programme import DayOutcome
from tests.engine.builders import day, morning, rec
from tests.engine.test_gap_counts_days_without_a_run import _at, _days, _top
from tests.engine.test_programme import rules

REVIEW = [ClinicianAction(kind="review")]


def _stopped(stage: str, last_pct: float, review_on: int) -> list[DayOutcome]:
    """Last run on day 4, a stop on day 5 (a "pop"), a green check-in every day after it,
    the clinician's review on ``review_on`` (a check-in that day too), two days more."""
    records = [
        rec(5, m=morning(red_flags=["pop"])),
        *[rec(n) for n in range(6, review_on)],
        rec(review_on, clinician_actions=REVIEW),
        *[rec(n) for n in range(review_on + 1, review_on + 3)],
    ]
    outs, _ = _days(_at(stage, last_pct), records)
    return outs


def test_eleven_days_stopped_at_max_sprints_step_back_once_the_review_lifts_the_stop() -> None:
    outs = _stopped("H5", 100, 16)
    during = outs[:11]
    assert during[0].decision == "stop"
    # Nothing moves the athlete while the stop lasts: they are not running anyway.
    assert all(o.stage_after == "H5" and o.review_pending for o in during)
    assert not any(r.startswith("gap.") for o in during for r in rules(o))
    review = outs[11]
    assert review.date == day(16) and not review.review_pending
    # The review lifts the stop, then the 11 days without speed step back (at a stage of max
    # sprints, after 7): the first plan is H4's capped first run back, not a max sprint.
    said = rules(review)
    assert said.index("clinician.review") < said.index("gap.step_back")
    assert review.decision == "step_back" and review.stage_after == "H4"
    text = next(r for r in review.reasons if r.rule == "gap.step_back")
    assert text.text.startswith("No run at this stage's speed for 11 days")
    assert text.observed == 11
    assert review.plan is not None and review.plan.running
    assert _top(review) <= 85, review.plan
    assert any(n.startswith("First run back") for n in review.plan.notes)
    assert [a.rule for a in review.alerts if a.rule.startswith("gap.")] == ["gap.step_back"]
    # One step back for the one run of days; the days after keep the capped first run.
    assert all("gap.step_back" not in rules(o) for o in outs[12:])
    assert all(_top(o) <= 85 for o in outs[12:])


def test_a_week_stopped_below_max_speed_restarts_the_stage_with_a_capped_first_run() -> None:
    outs = _stopped("H4", 90, 13)  # stopped days 5–12: 8 days
    assert not any(r.startswith("gap.") for o in outs[:8] for r in rules(o))
    review = outs[8]
    assert review.stage_after == "H4" and review.decision != "step_back"
    said = rules(review)
    assert said.index("clinician.review") < said.index("gap.restart")
    text = next(r for r in review.reasons if r.rule == "gap.restart")
    assert text.text.startswith("No run at this stage's speed for 8 days")
    # H4's first run back: the bottom of its 85–90 % drills, not the full session.
    assert review.plan is not None and review.plan.running and _top(review) <= 85


def test_a_short_stop_changes_nothing_after_the_review() -> None:
    """Control: three days stopped (and the rest after the last run) stay under a week."""
    outs = _stopped("H4", 90, 8)
    review = outs[3]
    assert "clinician.review" in rules(review)
    assert not any(r.startswith("gap.") for o in outs for r in rules(o))
    assert review.plan is not None and _top(review) == 90


def test_a_silent_stop_moves_nobody_on_the_day_they_answer_before_the_review() -> None:
    # Stopped on day 5, nothing sent on days 6–15, a check-in on day 16 (still stopped), the
    # review on day 18: the day back after the silence is still a stop, and the gap waits.
    records = [
        rec(5, m=morning(red_flags=["pop"])),
        *[DayRecord(date=day(n)) for n in range(6, 16)],
        rec(16),
        rec(17),
        rec(18, clinician_actions=REVIEW),
    ]
    outs, _ = _days(_at("H5", 100), records)
    back = outs[11]
    assert back.date == day(16) and back.review_pending
    assert back.stage_after == "H5" and back.decision != "step_back"
    assert not any(r.startswith("gap.") for o in outs[:13] for r in rules(o))
    assert back.plan is not None and not back.plan.running
    # The review: the whole stop (days 5–17) counts, and the step back comes now.
    review = outs[13]
    assert review.decision == "step_back" and review.stage_after == "H4"
    assert _top(review) <= 85
