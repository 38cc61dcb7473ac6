"""Clinician alert lines worded in the reader's language from the alert's rule and record."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from bot.services.athlete.daily import ENGINE_FAILED_ALERT
from bot.services.protocol_files import load_protocol
from bot.support.i18n import use_language
from bot.wording.alerts import alert_words, clinician_record_text
from engine import programme, rest
from engine.evaluate import Observation
from engine.models import Metrics, MorningCheckIn, Reason, SessionReport
from engine.readiness import MorningResult
from engine.red_flags import FLAG_TEXT, SESSION_FLAG_TEXT, triage_morning, triage_session
from engine.session_rules import classify_session
from engine.stall import stall_texts

HAMSTRING = load_protocol("hamstring")


def _mornings() -> list[MorningCheckIn]:
    flags = sorted(FLAG_TEXT)
    out = [MorningCheckIn(red_flags=[f], pain_rest=p) for f in flags for p in (0, 6, 9)]  # type: ignore[list-item]
    out += [
        MorningCheckIn(red_flags=list(pair), pain_rest=8)
        for pair in itertools.combinations(flags, 2)
    ]  # type: ignore[arg-type]
    out.append(MorningCheckIn(red_flags=[], pain_rest=9))
    return out


def _sessions() -> list[SessionReport]:
    codes = sorted(SESSION_FLAG_TEXT)
    out = [SessionReport(completion="full", red_flags=[c], pain_max=3) for c in codes]  # type: ignore[list-item]
    out.append(SessionReport(completion="full", sharp_pain=True, pain_max=8))
    out.append(SessionReport(completion="full", pain_max=9))
    out.append(SessionReport(completion="full", pain_max=1, pain_1h=8))
    return out


def _red_flag_alerts() -> list[tuple[str, str]]:
    alerts = []
    for morning in _mornings():
        tri = triage_morning(HAMSTRING, morning)
        if tri is not None:
            alerts.append((tri.alert.rule, tri.alert.text))
    for report in _sessions():
        tri = triage_session(HAMSTRING, report, MorningCheckIn(red_flags=[], pain_rest=0))
        if tri is not None:
            alerts.append((tri.alert.rule, tri.alert.text))
    return alerts


def test_every_red_flag_alert_the_engine_raises_is_worded() -> None:
    alerts = _red_flag_alerts()
    assert len(alerts) > 30 and any("Picture compatible" in t for _r, t in alerts)
    for rule, text in alerts:
        with use_language("en"):
            assert alert_words(rule, text, HAMSTRING) == text, text  # English reads the same
        with use_language("de"):
            german = alert_words(rule, text, HAMSTRING)
        assert german is not None and german != text, text


def test_severe_pain_an_hour_after_is_named_as_such() -> None:
    report = SessionReport(completion="full", pain_max=1, pain_1h=8)
    tri = triage_session(HAMSTRING, report, MorningCheckIn(red_flags=[], pain_rest=0))
    assert tri is not None
    assert "athlete reported pain an hour after the session 8/10" in tri.alert.text
    assert "session pain" not in tri.alert.text


def test_a_red_flag_reads_in_german() -> None:
    tri = triage_morning(HAMSTRING, MorningCheckIn(red_flags=["numbness"], pain_rest=0))
    assert tri is not None
    with use_language("de"):
        line = alert_words(tri.alert.rule, tri.alert.text, HAMSTRING)
    assert line == (
        "Red Flag, Kategorie 2 (ärztliche Abklärung noch heute nötig). Gemeldet: Taubheit, "
        "Kribbeln oder Schwäche im Bein oder Fuß."
    )


@pytest.mark.parametrize("lang", ["en", "es", "pt", "fr", "de"])
def test_the_sign_off_line_names_the_stage_and_its_note_once_punctuated(lang: str) -> None:
    note = HAMSTRING.stage("H0").signoff_note
    text = f"Stage H0 criteria met: sign-off needed to move on ({note})."
    with use_language(lang):
        line = alert_words("gate.8", text, HAMSTRING)
    assert line is not None and ".)." not in line and line.endswith(")."), line
    assert line.startswith("H0 · ")
    if lang != "en":
        assert "criteria met" not in line and "Clinician-entered" not in line, line


def test_counts_and_stages_are_worded_and_unknown_alerts_are_left_to_the_caller() -> None:
    with use_language("de"):
        missed = alert_words("escalate.missed", "No check-in for 3 days: the stage is held.")
        stuck = alert_words(
            "escalate.no_progress",
            "No progression for 14 days (stage H1): clinician review.",
            HAMSTRING,
        )
        unknown = alert_words("session.against_plan", "Session against the plan on 2026-03-02.")
        changed = alert_words("escalate.missed", "No check-in for three days.")
    assert missed == "Seit 3 Tagen keine Abfrage: Die Stufe wird gehalten."
    assert stuck is not None and "H1 · Erste Belastung" in stuck and "14 Tagen" in stuck
    assert unknown is None and changed is None


def test_the_record_text_loses_its_doubled_full_stop() -> None:
    assert clinician_record_text("(a note (eligibility).).") == "(a note (eligibility))."


# ---------------------------------------------------------------------------------------------
# Every alert the engine (or the bot) can raise reads in the clinician's language.
# ---------------------------------------------------------------------------------------------

DAY = dt.date(2026, 3, 2)


def _acc_alerts(call: Callable[[programme._Acc], object]) -> list[tuple[str, str]]:
    acc = programme._Acc()
    call(acc)
    return [(a.rule, a.text) for a in acc.alerts]


def _state(stage: str, **update: object) -> programme.ProgrammeState:
    st = programme.enter_stage(programme.initial_state(HAMSTRING, DAY), stage, DAY)
    return st.model_copy(update=update)


def _stall_alerts() -> list[tuple[str, str]]:
    gate = [
        programme.GateItem("gate.3", False, ""),
        programme.GateItem("gate.5.sessions", False, "", 1, 3),
        programme.GateItem("stepback.reentry", False, "", 0, 2),
        programme.GateItem("gate.symptoms", False, "", 1, 3),
        programme.GateItem("gate.8", False, ""),
    ]
    out = []
    for stage, observed, readiness, rules in [
        ("H1", {}, "rest", ["morning.p3.pain_test_delta"]),
        ("H1", {"H1a": 2.0, "H1b": 1.0}, "modify", ["morning.p5.sleep"]),
        ("H3", {"H3a": 55.0}, "rest", ["missing.checkin"]),
        ("H0", {}, "modify", []),
    ]:
        st = _state(stage, observed=observed)
        stage_ = HAMSTRING.stage(stage)
        items = programme.criteria_items(stage_, st, f"{stage}.") + gate
        reasons = [Reason(rule=r, text="") for r in rules]
        level = "light" if readiness == "modify" else readiness
        morning = MorningResult(readiness=readiness, level=level, reasons=reasons)
        _athlete, clinician = stall_texts(HAMSTRING, st, items, morning, 9)
        out.append(("stall", clinician))
    out.append(("stall", stall_texts(HAMSTRING, _state("H2"), [gate[0]], _ready(), 7)[1]))
    # No baseline at all: the speed criteria at H5 can never be met until one is set.
    h5 = _state("H5")
    items = programme.criteria_items(HAMSTRING.stage("H5"), h5, "H5.")
    out.append(("stall", stall_texts(HAMSTRING, h5, items, _ready(), 9, baseline=None)[1]))
    # Baseline 10 m and 20 m; only the 10 m timed in H4: never both in one session.
    h4 = _state("H4", best_splits={"split_10m_s": 1.86})
    items = programme.criteria_items(HAMSTRING.stage("H4"), h4, "H4.")
    both = Metrics(vmax_ms=9.0, split_10m_s=1.8, split_20m_s=3.0)
    out.append(("stall", stall_texts(HAMSTRING, h4, items, _ready(), 9, baseline=both)[1]))
    return out


def _ready() -> MorningResult:
    return MorningResult(readiness="go", level="go")


def _engine_alerts() -> list[tuple[str, str]]:
    """One sample of each alert rule the engine writes, from the engine's own code."""
    h1 = HAMSTRING.stage("H1")
    st = _state("H1")
    twice = st.model_copy(update={"against_plan_dates": (DAY,)})
    rule = rest.Rule(hours=48, from_pct=85.0, around_max=False)
    hit = rest.Violation(rule=rule, earlier=DAY, earlier_pct=92.5, hours=30)
    rested = st.model_copy(update={"rest_violation_dates": (DAY,)})
    unsure = st.model_copy(update={"unconfirmed_dates": (DAY, DAY)})
    seen = ("top speed 118 % of your baseline", "10m split 1.52 s, 12 % faster than baseline")
    alerts = _red_flag_alerts() + _stall_alerts()
    for what in (
        *(f"ran although {why}" for why in programme._BLOCKED_WHY),
        "ran at 97.5 % Vmax, cap 80 %",
    ):
        for state in (st, twice):
            alerts += _acc_alerts(partial(programme._against_plan, state, DAY, over=10, what=what))
    alerts += _acc_alerts(lambda a: programme._rest_violation(rested, DAY, [hit], a))
    alerts += _acc_alerts(lambda a: programme._unconfirmed(unsure, DAY, seen, a))
    for trig in h1.regression_triggers:
        for action, notify in (("escalate", None), ("step_back", "within_24h")):
            t = trig.model_copy(update={"action": action, "notify": notify})
            seen_once = Observation(value=3, satisfied=True)
            alerts += _acc_alerts(partial(programme._trigger, t, seen_once))
    for where in ("other_leg", "back_buttock", "other"):
        report = SessionReport(completion="full", pain_max=2, pain_location=where)
        result = classify_session(HAMSTRING, report, 60.0, None)
        alerts += [(a.rule, a.text) for a in result.alerts if a.rule == "session.pain_location"]
    return alerts


def _literal_alerts() -> list[tuple[str, str]]:
    """Alerts deep in a day's run, as the engine's f-strings write them (engine.programme)."""
    h1 = HAMSTRING.stage("H1")
    missing = "; ".join(c.text for c in h1.exit_criteria)
    return [
        (
            "gap.restart",
            "Back after 9 days without a check-in or session (or paused): what H3 needs "
            "(criteria, sessions, minimum days, any sign-off) is earned again.",
        ),
        (
            "gap.step_back",
            "Back after 15 days without a check-in or session (or paused): moved back from H3 "
            "to H2; its criteria, sessions and any sign-off are earned again.",
        ),
        (
            "gap.final",
            "Back after 20 days without a check-in or session (or paused) at the final stage "
            "H7: the first session back is capped at 90 % Vmax, without full training or "
            "matches. Its sprint and strength re-tests are due: please review whether a "
            "re-test or a move back a stage is needed before matches.",
        ),
        (
            "metric.lower_leg",
            "Single-leg bridges logged as injured side 30, other side 25: the injured side reads "
            "higher, which is unusual after this injury and often means the counts were typed "
            "the wrong way round. The lower count (25) was read for the injured side in: "
            "Single-leg bridge reps-to-failure LSI ≥ 85 %. Please check with the athlete which "
            "side is which.",
        ),
        (
            "protocol.grade",
            "Grade 3 hamstring injury: the default 'hamstring' protocol is not meant for it; "
            "please set up a variant with longer minimum stage durations (reference §2.1 / §3.1).",
        ),
        (
            "gate.8.early",
            f"Sign-off for H1 recorded before its criteria were met (missing: {missing}): it "
            "does not open the gate; you will be asked again.",
        ),
        (
            "gate.8.lapsed",
            f"Sign-off for H1 no longer holds: a result after it did not meet "
            f"{h1.exit_criteria[0].text}. You will be asked again once the criteria are met.",
        ),
        (
            "clinician.set_stage",
            "Stage 'H9' does not exist in protocol hamstring: the athlete stays in H1.",
        ),
        ("escalate.missed", "No check-in for 3 days: the stage is held."),
        (
            "protocol.mechanism",
            "Stretching-type hamstring injury: the default 'hamstring' protocol is not meant "
            "for it; please set up a variant with longer minimum stage durations "
            "(reference §2.1).",
        ),
        (
            "escalate.rest_worsening",
            "Injury symptoms worse than on the previous rest morning (test pain 4→7, "
            "tightness 1→3): clinician review within 24 h.",
        ),
        (  # stored before pain elsewhere became a tier-3 stop
            "session.pain_location",
            "Pain reported in low back / buttock, not the injured spot: neural / referred-pain "
            "screen needed within 24 h.",
        ),
        (
            "clinician.clear.other_stage",
            "A clearance recorded for H4 was not applied: the athlete is in H5, whose gate "
            "needs its own sign-off.",
        ),
        (
            "escalate.rest_mornings",
            "Rest verdict 3 mornings in a row (injury symptoms): clinician review within 24 h.",
        ),
        (
            "escalate.low_confidence",
            "Low confidence (≤ 4/10) 3 mornings in a row: the athlete may want a check-in.",
        ),
        ("escalate.red_repeat", "Second red session within 14 days: clinician review."),
        ("escalate.no_progress", "No progression for 14 days (stage H1): clinician review."),
        (
            "escalate.step_backs",
            "2 step-backs within 14 days (now H3 → H2): clinician review.",
        ),
        (
            "gate.8",
            "Stage H1 criteria met: sign-off needed to move on "
            f"({h1.signoff_note or 'clearance'}).",
        ),
        (
            "gate.8.recommended",
            f"Athlete moved from H0 to H1. A clinician review is recommended: "
            f"{HAMSTRING.stage('H0').signoff_note or ''}".strip(),
        ),
        (
            "wellness.poor_days",
            "Poor wellness (sleep, fatigue, stress or soreness) on 3 of the last 7 days: "
            "high-speed running is held on those days; please check in with the athlete.",
        ),
        (
            "stop.reinjury",
            "Possible re-injury in H4: the athlete is moved back to H2 (max-sprint re-test and "
            "sign-off needed again after your review).",
        ),
        (
            "24h.elevated_48h",
            "Symptoms still elevated 48 h or more after the session of 2026-03-02: clinician "
            "review within 24 h, no running until reviewed.",
        ),
        (
            "24h.week_rise",
            "Morning pain or tightness has risen week on week (7-day mean up ≥ 1 point): stage "
            "held, please review.",
        ),
        (
            "session.low_confidence",
            "Athlete held back or had low confidence on 2 high-speed sessions in a row: "
            "psychological readiness check-in.",
        ),
        (
            "session.against_plan",
            f"Session against the plan on 2026-03-02: athlete {programme.EARLY_FULL_TRAINING}. "
            "Not counted; please talk it through with the athlete.",
        ),
        # The bot's own alerts (bot.scheduling.tick, bot.services.athlete.daily).
        (
            "missed_checkins",
            "Sam has missed 2 morning check-ins in a row (last on Tue 10 Mar). Missed days "
            "count as hold: no progression. Please get in touch.",
        ),
        (
            "missed_checkins",
            "athlete 7 has missed 3 morning check-ins in a row (last on Sun 01 Mar). Missed "
            "days count as hold: no progression. Please get in touch.",
        ),
        ("engine.failed", ENGINE_FAILED_ALERT),
        (
            "redflag.engine_failed",
            "Red flag reported (the engine failed, tier unknown): please review now.",
        ),
    ]


def _every_alert() -> list[tuple[str, str]]:
    return _engine_alerts() + _literal_alerts()


def test_the_samples_cover_every_rule_the_engine_raises() -> None:
    source = "\n".join(p.read_text() for p in Path(programme.__file__).parent.glob("*.py"))
    raised = set(re.findall(r'acc\.alert\(\s*[^,]+,\s*"([a-z0-9_.]+)"', source))
    raised |= set(re.findall(r'Alert\(\s*severity=[^,]+,\s*rule="([a-z0-9_.]+)"', source))
    rules = {rule for rule, _t in _every_alert()}
    assert len(raised) > 20 and raised <= rules, raised - rules
    assert {"H1r1", "stall", "session.pain_location", "missed_checkins"} <= rules


@pytest.mark.parametrize("lang", ["de", "es", "pt", "fr"])
def test_every_alert_reads_in_the_clinicians_language(lang: str) -> None:
    english: list[str] = []
    for rule, text in _every_alert():
        with use_language("en"):
            en = alert_words(rule, text, HAMSTRING)
        with use_language(lang):
            line = alert_words(rule, text, HAMSTRING)
        if en is None or line is None or line in (en, text):
            english.append(f"{rule}: {text}")
    assert not english, "\n".join(english)


def test_english_lines_keep_their_meaning() -> None:
    with use_language("en"):
        missed = alert_words(
            "missed_checkins",
            "Sam has missed 2 morning check-ins in a row (last on Tue 10 Mar). Missed days "
            "count as hold: no progression. Please get in touch.",
            None,
            dt.date(2026, 3, 10),
        )
        plan = alert_words(
            "session.against_plan",
            "Session against the plan on 2026-03-02: athlete ran although rest (again within 28 "
            "days). Not counted; please talk it through with the athlete.",
        )
        worse = alert_words(
            "escalate.rest_worsening",
            "Injury symptoms worse than on the previous rest morning (test pain 4→7): clinician "
            "review within 24 h.",
        )
    # "the previous rest morning" left the clinician guessing: the check-in of a rest day.
    assert worse is not None and worse.startswith(
        "Injury symptoms worse than at the previous rest-day check-in ("
    ), worse
    assert missed == (
        "Sam has missed 2 morning check-ins in a row, the latest on Tue 10 Mar. Missed days "
        "count as hold (no progression). Please get in touch within 24 h."
    )
    assert plan == (
        "Session against the plan on Monday 2 March: the athlete ran although the morning "
        "check said rest. It is not the first time in 28 days. Not counted; please talk it "
        "through with the athlete."
    )


def test_a_stall_reads_in_german_with_its_criteria() -> None:
    rule, text = _stall_alerts()[1]
    with use_language("de"):
        line = alert_words(rule, text, HAMSTRING)
    assert line is not None and line.startswith("Keine Progression in H1 · "), line
    assert "nicht erfüllt (zuletzt 2/10)" in line or "nicht erfüllt" in line, line


def test_a_stall_held_by_splits_never_timed_together_says_which() -> None:
    """ "10/20 m times: none recorded yet" when the athlete timed the 10 m every session: the
    criterion needs the 10 m and the 20 m in one session."""
    rule, text = _stall_alerts()[-1]
    assert "10 m, 20 m not all timed in one session in H4" in text, text
    line = alert_words(rule, text, HAMSTRING)
    assert line is not None and "10 m, 20 m not all timed in one session" in line, line
    assert "10/20 m times ≤ 105 % of baseline: none recorded" not in line


def test_a_stall_held_by_a_missing_baseline_says_so() -> None:
    """ "Top speed: none recorded in H5" read as if the athlete had not measured it, when no
    measurement could meet it: there was no pre-injury baseline to compare with."""
    rule, text = _stall_alerts()[-2]
    assert "no baseline to compare with in H5" in text
    line = alert_words(rule, text, HAMSTRING)
    assert line is not None and "no pre-injury baseline to compare with" in line, line
    assert "(/baseline)" in line


def test_a_trigger_no_longer_in_the_protocol_still_reads_in_the_clinicians_language() -> None:
    """An alert raised before an admin edited the protocol (its trigger since removed or
    renamed) reads translated, not as the engine's English record."""
    trig = HAMSTRING.stage("H1").regression_triggers[0]
    sentence = f"{trig.text}: the athlete is moved back a stage; please review."
    with use_language("de"):
        kept = alert_words(trig.id, sentence, HAMSTRING)
        edited = alert_words(trig.id, sentence, None)
        renamed = alert_words("H1r_old", sentence, HAMSTRING)
    assert kept is not None and kept == edited == renamed
    assert trig.text not in kept and "Stufe" in kept, kept


@pytest.mark.parametrize("lang", ["de", "es", "pt", "fr"])
def test_a_sessions_red_flag_reason_reads_in_the_athletes_language(lang: str) -> None:
    """The "Why?" list after a session stopped by a red flag: each reason the engine can give
    is worded in the athlete's language, and in English it is the engine's own sentence."""
    from bot.wording.reasons import describe_reason
    from engine.session_rules import _STOP_TEXT

    for rule, sentence in _STOP_TEXT.items():
        reason = Reason(rule=rule, observed="x", threshold="no red flag", text=sentence)
        with use_language("en"):
            assert describe_reason(reason, HAMSTRING, "H2") == ("fired", sentence)
        with use_language(lang):
            kind, words = describe_reason(reason, HAMSTRING, "H2")
        assert kind == "fired" and words != sentence, (rule, words)
