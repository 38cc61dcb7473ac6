"""Clinician alert lines worded in the reader's language from the alert's rule and record."""

from __future__ import annotations

import itertools

import pytest

from bot.services.protocol_files import load_protocol
from bot.support.i18n import use_language
from bot.wording.alerts import alert_words, clinician_record_text
from engine.models import MorningCheckIn, SessionReport
from engine.red_flags import FLAG_TEXT, SESSION_FLAG_TEXT, triage_morning, triage_session

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


def test_a_red_flag_reads_in_german() -> None:
    tri = triage_morning(HAMSTRING, MorningCheckIn(red_flags=["numbness"], pain_rest=0))
    assert tri is not None
    with use_language("de"):
        line = alert_words(tri.alert.rule, tri.alert.text, HAMSTRING)
    assert line == (
        "Red Flag, Kategorie 2 (ärztliche Abklärung noch heute nötig): Athlet meldet Taubheit, "
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
