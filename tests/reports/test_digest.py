"""The clinician's weekly digest: urgency order, content, length limit and Monday timing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from pydantic import ValidationError

from bot.reports.data import DigestAthleteWeek, DigestData, OpenAlert
from bot.reports.digest import (
    TELEGRAM_LIMIT,
    Urgency,
    athletes_needing_attention,
    digest_week,
    next_digest_at,
    rank_athletes,
    render_digest,
    telegram_length,
    urgency_of,
)
from bot.support.i18n import use_language

RAISED = dt.datetime(2026, 11, 15, 23, 30, tzinfo=dt.UTC)


def _alert(severity: str, text: str = "new swelling reported") -> OpenAlert:
    return OpenAlert(severity=severity, text=text, raised_at=RAISED)  # type: ignore[arg-type]


def _week(athlete_id: int, name: str, **kwargs: object) -> DigestAthleteWeek:
    defaults: dict[str, object] = {
        "stage_start": "H3",
        "stage_end": "H3",
        "sessions_done": 3,
        "sessions_planned": 3,
        "mean_test_pain": 1.0,
        "mean_test_pain_prev": 1.0,
    }
    return DigestAthleteWeek(athlete_id=athlete_id, athlete_name=name, **(defaults | kwargs))  # type: ignore[arg-type]


def _digest(athletes: list[DigestAthleteWeek], timezone: str = "Europe/London") -> DigestData:
    return DigestData(
        clinician_name="Dr Lee",
        timezone=timezone,
        week_start=dt.date(2026, 11, 9),
        week_end=dt.date(2026, 11, 15),
        athletes=athletes,
    )


LEVELS = [
    _week(1, "Emma Emergency", open_alerts=[_alert("emergency", "chest pain and breathless")]),
    _week(2, "Uma Handled", red_flags=1),
    _week(3, "Sara Sameday", open_alerts=[_alert("same_day"), _alert("info", "note")]),
    _week(4, "Rita Rising", mean_test_pain=2.5, mean_test_pain_prev=1.5),
    _week(5, "Stan Stepback", step_backs=1, stage_end="H2"),
    _week(6, "Gina Gate", signoff_pending=True),
    _week(7, "Carl Checkins", missed_checkins=3),
    _week(8, "Adam Routine", stage_end="H4"),
    _week(9, "Zoe Routine", paused=True),
]


def test_each_rule_gives_its_documented_level() -> None:
    levels = {w.athlete_name: urgency_of(w)[0] for w in LEVELS}
    assert levels == {
        "Emma Emergency": Urgency.EMERGENCY,
        "Uma Handled": Urgency.REVIEW,  # a red flag whose alert was handled is not urgent
        "Sara Sameday": Urgency.URGENT,
        "Rita Rising": Urgency.REVIEW,
        "Stan Stepback": Urgency.REVIEW,
        "Gina Gate": Urgency.REVIEW,
        "Carl Checkins": Urgency.CHECK,
        "Adam Routine": Urgency.ROUTINE,
        "Zoe Routine": Urgency.ROUTINE,
    }


def test_urgency_follows_open_alerts_only() -> None:
    open_flag = _week(1, "A", red_flags=1, open_alerts=[_alert("same_day", "numbness")])
    handled = _week(1, "A", red_flags=1)
    assert urgency_of(open_flag)[0] == Urgency.URGENT
    level, reasons = urgency_of(handled)
    assert level == Urgency.REVIEW and "1 red flag this week" in reasons
    text = render_digest(_digest([handled]))
    assert "URGENT" not in text and "🟠 REVIEW · A: 1 red flag this week" in text


def test_pain_must_rise_a_whole_point_to_count() -> None:
    assert (
        urgency_of(_week(1, "A", mean_test_pain=1.9, mean_test_pain_prev=1.0))[0] == Urgency.ROUTINE
    )
    assert (
        urgency_of(_week(1, "A", mean_test_pain=2.0, mean_test_pain_prev=1.0))[0] == Urgency.REVIEW
    )
    assert urgency_of(_week(1, "A", missed_checkins=2))[0] == Urgency.ROUTINE


def test_message_lists_athletes_most_urgent_first_whatever_the_input_order() -> None:
    shuffled = LEVELS[:]
    random.Random(3).shuffle(shuffled)
    text = render_digest(_digest(shuffled))
    positions = [text.index(w.athlete_name) for w in LEVELS]
    # within URGENT, the athlete with more open alerts comes first
    expected = [
        "Emma Emergency",
        "Sara Sameday",
        "Uma Handled",
        "Gina Gate",
        "Rita Rising",
        "Stan Stepback",
        "Carl Checkins",
        "Adam Routine",
        "Zoe Routine",
    ]
    by_position = [
        name for _, name in sorted(zip(positions, [w.athlete_name for w in LEVELS], strict=True))
    ]
    assert by_position == expected
    assert [r.week.athlete_name for r in rank_athletes(_digest(shuffled))] == expected
    assert "9 athletes, 7 need attention." in text
    assert text.endswith("Charts of the athletes who need attention follow.")


def test_attention_list_is_the_urgent_ones_in_order_for_their_charts() -> None:
    chosen = athletes_needing_attention(_digest(LEVELS))
    assert [w.athlete_id for w in chosen] == [1, 3, 2, 6, 4, 5, 7]
    assert athletes_needing_attention(_digest([LEVELS[-1]])) == []


def test_each_athletes_week_is_described() -> None:
    text = render_digest(_digest(LEVELS))
    assert "Week 9\u2009–\u200915 Nov 2026 (Europe/London)" in text  # Babel's en_GB span
    stan = text[text.index("Stan Stepback") :].split("\n\n")[0]
    assert "1 step back" in stan and "stage H3 → H2" in stan and "sessions 3 of 3" in stan
    rita = text[text.index("Rita Rising") :].split("\n\n")[0]
    assert "test pain 2.5/10 ↑ rising (was 1.5)" in rita
    carl = text[text.index("Carl Checkins") :].split("\n\n")[0]
    assert "missed check-ins: 3 of 7" in carl
    emma = text[text.index("Emma Emergency") :].split("\n\n")[0]
    assert emma.startswith("Emma Emergency: open emergency alert")
    assert "chest pain and breathless" in emma
    assert "· Emma Emergency:" in text and "#1" not in text  # the number only on a clash
    twins = render_digest(_digest([_week(1, "Sam"), _week(2, "Sam"), _week(3, "Ann")]))
    assert "Sam (#1)" in twins and "Sam (#2)" in twins and "Ann (#3)" not in twins
    assert "Zoe Routine (paused)" in text
    # routine athletes take one line each
    assert "· Adam Routine: stage H3 → H4, sessions 3 of 3" in text
    assert "(was 1.0)\n✅ routine · Zoe Routine (paused)" in text


def test_alert_times_are_in_the_clinicians_timezone() -> None:
    week = _week(1, "Ann", open_alerts=[_alert("same_day", "pop felt in session")])
    sydney = render_digest(_digest([week], timezone="Australia/Sydney"))
    london = render_digest(_digest([week], timezone="Europe/London"))
    assert "open since Mon 16 Nov 10:30 (same-day review): pop felt in session" in sydney
    assert "open since Sun 15 Nov 23:30 (same-day review): pop felt in session" in london


def test_many_athletes_fit_in_one_telegram_message_least_urgent_left_out() -> None:
    long_alert = "x" * 390
    athletes = [
        _week(i, f"Athlete {i:03d}", open_alerts=[_alert("within_24h", long_alert)] * 5)
        for i in range(1, 150)
    ]
    athletes.append(_week(999, "Emma Emergency", open_alerts=[_alert("emergency")]))
    text = render_digest(_digest(athletes))
    assert telegram_length(text) <= TELEGRAM_LIMIT
    assert "Emma Emergency" in text
    shown = sum(1 for w in athletes if f"· {w.athlete_name}:" in text)
    missing = len(athletes) - shown
    assert missing > 0
    assert f"… and {missing} more athletes ({missing} needing attention): see /athletes." in text
    assert "… and 2 more" in text  # 5 alerts listed as 3 + "and 2 more"
    assert "x" * 121 not in text  # alert text cut to 120 characters


def test_no_linked_athletes_says_so() -> None:
    text = render_digest(_digest([]))
    assert "No athletes are linked to you yet." in text
    assert athletes_needing_attention(_digest([])) == []


def test_week_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="week_end 2026-11-01 is before week_start"):
        DigestData(
            clinician_name="Dr Lee",
            week_start=dt.date(2026, 11, 9),
            week_end=dt.date(2026, 11, 1),
        )


def test_digest_week_is_the_local_monday_to_sunday_before_now() -> None:
    # Monday 08:00 in Sydney is still Sunday evening in UTC
    now = dt.datetime(2026, 11, 15, 21, 0, tzinfo=dt.UTC)
    assert digest_week(now, "Australia/Sydney") == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert digest_week(now, "Europe/London") == (dt.date(2026, 11, 2), dt.date(2026, 11, 8))


@pytest.mark.parametrize(
    ("now", "timezone", "expected"),
    [
        # DST starts in London on Sunday 29 March 2026: Monday 08:00 BST is 07:00 UTC
        (
            dt.datetime(2026, 3, 29, 12, 0, tzinfo=dt.UTC),
            "Europe/London",
            dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC),
        ),
        # winter: Monday 08:00 GMT is 08:00 UTC; one minute before it, it is still to come
        (
            dt.datetime(2026, 11, 16, 7, 59, tzinfo=dt.UTC),
            "Europe/London",
            dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC),
        ),
        # exactly at the time: the next one is a week later
        (
            dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC),
            "Europe/London",
            dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2026, 11, 15, 20, 0, tzinfo=dt.UTC),
            "Australia/Sydney",
            dt.datetime(2026, 11, 15, 21, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_next_digest_is_monday_eight_local(
    now: dt.datetime, timezone: str, expected: dt.datetime
) -> None:
    assert next_digest_at(now, timezone) == expected


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        next_digest_at(dt.datetime(2026, 11, 16, 8, 0), "Europe/London")


def test_length_is_counted_the_way_telegram_counts_it() -> None:
    assert telegram_length("🚨 a") == 4
    assert telegram_length("é") == 1


@pytest.mark.parametrize(
    ("lang", "week", "pain"),
    [
        ("de", "Woche 9.–15. Nov. 2026", "2,5/10"),
        ("fr", "9–15 nov. 2026", "2,5/10"),
        ("es", "9–15 nov 2026", "2,5/10"),
        ("pt", "nov. de 2026", "2,5/10"),
    ],
)
def test_the_week_months_and_decimals_follow_the_readers_language(
    lang: str, week: str, pain: str
) -> None:
    red_flag = OpenAlert(
        severity="same_day",
        rule="redflag.tier2",
        text="Red flag, tier 2 (same-day medical assessment needed): athlete reported "
        "numbness, tingling or weakness in the leg or foot.",
        raised_at=RAISED,
    )
    with use_language(lang):
        text = render_digest(_digest([*LEVELS, _week(10, "Nina Numb", open_alerts=[red_flag])]))
    assert week in text and "Nov 2026" not in text, text.splitlines()[1]
    rita = text[text.index("Rita Rising") :].split("\n\n")[0]
    assert pain in rita and "2.5" not in rita and "1.5" not in rita, rita
    nina = text[text.index("Nina Numb") :].split("\n\n")[0]
    assert "numbness" not in nina and "Sun" not in nina, nina
