"""The clinician report in the clinician's language: the alerts read as the chat's alert cards
read them, the stage timeline says why in words (a stop by its red flag, never by a sentence
that happened to come first), the header names the protocol by its title, and no column label
is broken mid-word. English sentences are for the stored record only."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from babel.messages.pofile import read_po
from sqlalchemy import Engine
from sqlmodel import select

from bot.cli.simulate import simulate
from bot.reports.data import ReportData
from bot.reports.from_store import report_data_for
from bot.reports.report_pdf import SEVERITY_TEXT, render_report_pdf
from bot.reports.stage_history import timeline_entries
from bot.services.protocol_files import load_protocol
from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.models import Decision, Person
from bot.store.repo import StageMove
from bot.support.i18n import DOMAIN, LOCALE_DIR, _, labelled, use_language
from bot.wording import protocol_text
from bot.wording.alerts import alert_line
from engine.models import Alert, SessionReport
from engine.programme import DayOutcome
from engine.red_flags import triage_session
from engine.scenario import parse_scenario
from engine.schema import Protocol
from tests.i18n.leaks import leaks, source_fragments, source_leaks
from tests.reports.factories import make_report
from tests.reports.pdf_pages import flat, pdf_text
from tests.reports_bot.conftest import write_athlete
from tests.store.conftest import sqlite_template  # noqa: F401 (the store's migrated template)
from tests.wording.test_alert_words import _every_alert

ROOT = Path(__file__).resolve().parents[2]
OTHER_LANGUAGES = ("de", "es", "pt", "fr")
NOW = dt.datetime(2026, 3, 24, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
HAMSTRING = load_protocol("hamstring")
# The engine's sentences a clinician must never read (they are the record's, in English).
ENGLISH_RECORD = re.compile(r"athlete reported|Clinician set the stage|step back|Symptoms up")


@cache
def _fragments(lang: str) -> frozenset[str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return source_fragments(read_po(po, locale=lang))


def english(lines: list[str], lang: str) -> list[str]:
    """The lines that read as English (tests/i18n/leaks: function words, or an English
    source text of the catalogue that the language translates differently)."""
    return [str(leak) for leak in leaks(lines) + source_leaks(lines, _fragments(lang))]


def bare_stages(text: str, protocol: Protocol) -> list[str]:
    """Stage codes of ``protocol`` shown alone ("H2"), not as "H2 · Return to running"."""
    ids = "|".join(re.escape(s.id) for s in protocol.stages)
    return re.findall(rf"(?<![\w·])(?:{ids})(?!\w)(?! ·)", text)


# --- a stored athlete, read in the clinician's language ---------------------------------------


@dataclass(frozen=True)
class Stored:
    engine: Engine
    athlete_id: int
    clinician_id: int
    stop_alert: Alert  # the red flag that stopped the athlete today


def _stop_today(stage: str, moved_to: str) -> tuple[dict[str, object], Alert]:
    """Today's stop as the engine records it when a clinician set the stage the same day: the
    clinician's move comes first in the reasons, the session's red flag after it."""
    triage = triage_session(HAMSTRING, SessionReport(completion="partial", sharp_pain=True))
    assert triage is not None and triage.alert.rule == "session.stop"
    reasons = [
        {
            "rule": "clinician.set_stage",
            "observed": stage,
            "threshold": moved_to,
            "text": f"Clinician set the stage to {moved_to} (seen in clinic).",
        },
        {"rule": "morning.p8", "text": "Morning check is green: go."},
        {
            "rule": "session.stop",
            "observed": "; ".join(triage.signs),
            "threshold": "no red flag",
            "text": "Sharp or sudden pain, a pop or a grab: stop, clinician alerted.",
        },
        {
            "rule": "stop.reset",
            "text": "After a stop, what this stage needs (criteria and sessions) is earned again "
            "after your clinician's review.",
        },
    ]
    payload: dict[str, object] = {
        "stage": stage,
        "stage_after": moved_to,
        "decision": "stop",
        "reasons": reasons,
        "alerts": [triage.alert.model_dump(mode="json")],
    }
    return payload, triage.alert


@pytest.fixture(scope="module")
def stored(
    sqlite_template: Path,  # noqa: F811 (the fixture imported above)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stored]:
    """Sam, 30 days into a hamstring programme (H2 → H3, a step back to H2 after a red morning,
    H3 again), stopped today by sharp pain in a session after a clinician set H4; one alert of
    every rule the engine and the bot raise; Dr Lee reads in Berlin."""
    path = tmp_path_factory.mktemp("report_languages") / "store.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    athlete = write_athlete(engine, NOW, 4001, "Sam", days=30)
    with session_scope(engine) as session:
        lee = repo.create_person(
            session,
            role="clinician",
            telegram_user_id=4002,
            display_name="Dr Lee",
            timezone="Europe/Berlin",
            now=NOW - dt.timedelta(days=31),
        )
        assert lee.id is not None
        repo.link_athlete(
            session, athlete_id=athlete, clinician_id=lee.id, now=NOW - dt.timedelta(days=31)
        )
        seen: set[str] = set()
        for number, (rule, text) in enumerate(_every_alert()):
            if rule in seen:
                continue
            seen.add(rule)
            at = NOW - dt.timedelta(hours=3 * number + 2)
            repo.raise_alert(
                session,
                athlete_id=athlete,
                alert=Alert(severity="within_24h", rule=rule, text=text),
                now=at,
                local_date=at.date(),
            )
        # The step back (day 15) with the engine's reasons: symptoms up the morning after.
        [back] = session.exec(
            select(Decision).where(Decision.athlete_id == athlete, Decision.outcome == "step_back")
        )
        back.decision = {
            **back.decision,
            "reasons": [
                {"rule": "morning.p8", "text": "Morning check is green: go."},
                {
                    "rule": "24h.step_back",
                    "observed": "test pain +3, tightness +1",
                    "threshold": "< +2",
                    "text": "Symptoms up by ≥ 2 (or test pain ≥ 3) the morning after the "
                    "session: step back.",
                },
                {
                    "rule": "stepback",
                    "observed": "H3",
                    "threshold": "H2",
                    "text": "Step back from H3 to H2: its session template applies; re-entering "
                    "H3 needs 2 green sessions with green 24-hour responses.",
                },
            ],
        }
        session.add(back)
        programme = repo.get_active_programme(session, athlete_id=athlete)
        assert programme is not None and programme.id is not None
        payload, stop_alert = _stop_today(programme.current_stage, "H4")
        repo.record_decision(
            session,
            athlete_id=athlete,
            local_date=TODAY,
            kind="daily",
            outcome="stop",
            decision=payload,
            protocol_name="hamstring",
            protocol_version=1,
            now=NOW - dt.timedelta(hours=1),
        )
        repo.raise_alert(
            session,
            athlete_id=athlete,
            alert=stop_alert,
            now=NOW - dt.timedelta(hours=1),
            local_date=TODAY,
        )
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage="H4",
            now=NOW - dt.timedelta(hours=1),
            reason=f"engine: stop on {TODAY.isoformat()}",
        )
        clinician = lee.id
    yield Stored(engine, athlete, clinician, stop_alert)
    engine.dispose()


def _report(stored: Stored, lang: str) -> tuple[ReportData, str]:
    """The report's data and its PDF's text, built and rendered in ``lang``."""
    with use_language(lang), session_scope(stored.engine, read_only=True) as session:
        viewer = session.get(Person, stored.clinician_id)
        data = report_data_for(session, athlete_id=stored.athlete_id, now=NOW, viewer=viewer)
        text = "\n".join(pdf_text(render_report_pdf(data)))
    return data, text


@pytest.mark.parametrize("lang", ["de", "es"])
def test_alert_rows_read_as_the_alert_cards_in_the_clinicians_language(
    stored: Stored, lang: str
) -> None:
    data, text = _report(stored, lang)
    rows = data.alerts
    assert len(rows) == len({rule for rule, _t in _every_alert()}) + 1
    problems = []
    for row in rows:
        found = english([row.text], lang) + bare_stages(row.text, HAMSTRING)
        if ENGLISH_RECORD.search(row.text) or re.search(r"\.\s*\.|\.\)\.", row.text):
            found.append("the record's sentence or a doubled full stop")
        if found:
            problems.append(f"{row.text!r}: {found}")
    assert not problems, f"{lang}: {len(problems)} alert rows:\n" + "\n".join(problems)
    # The PDF prints every open alert (here all of them), worded as the alert cards word them.
    with use_language(lang):
        card = alert_line(stored.stop_alert.rule, stored.stop_alert.text, HAMSTRING, TODAY)
    assert rows[-1].text == card
    alerts = text.split(_heading(lang, "Alerts and how they were handled"), 1)[1]
    alerts = alerts.split(
        _heading(lang, "Clinician's record: every action, its author and reason")
    )[0]
    assert not english(alerts.splitlines(), lang), alerts
    # Table cells wrap anywhere ("H3" at a line's end, "· Progressive" on the next).
    assert not ENGLISH_RECORD.search(alerts) and not bare_stages(flat(alerts), HAMSTRING), alerts
    assert flat(card[:60]) in flat(alerts)


def _heading(lang: str, source: str) -> str:
    with use_language(lang):
        return _(source)


@pytest.mark.parametrize("lang", ["de", "es"])
def test_the_timeline_says_why_in_words_and_a_stop_by_its_red_flag(
    stored: Stored, lang: str
) -> None:
    data, text = _report(stored, lang)
    timeline = data.timeline
    reasons = [e.reason for e in timeline]
    assert [e.stage for e in timeline] == ["H2", "H3", "H2", "H3", "H4"]
    with use_language(lang):
        stepped_back, stopped = _("Stepped back"), _("Stopped after a red flag")
        red_flag = alert_line(stored.stop_alert.rule, stored.stop_alert.text, HAMSTRING, TODAY)
        test_pain = _("test pain")
    # The stop names its red flag (the sharp pain in the session) as the alert card does, not
    # the clinician's stage change that came first in its reasons; the step back says what
    # rose the morning after the session.
    assert reasons[4] == f"{stopped}: {red_flag.rstrip('.')}"
    assert flat(reasons[4][:50]) in flat(text)
    assert reasons[2].startswith(f"{stepped_back}: ") and f"{test_pain} +3" in reasons[2]
    for reason in reasons:
        assert not english([reason], lang), reason
        assert not bare_stages(reason, HAMSTRING) and not ENGLISH_RECORD.search(reason), reason


@pytest.mark.parametrize("lang", ["de", "pt"])
def test_the_header_names_the_protocol_by_its_title_and_version_number(
    stored: Stored, lang: str
) -> None:
    _data, text = _report(stored, lang)
    with use_language(lang):
        title = protocol_text(HAMSTRING.title)
        line = _("{name}, version {version}").format(name=title, version=1)
    assert title != HAMSTRING.title  # translated
    assert line in flat(text)
    assert "hamstring," not in text and "v1" not in text


# --- the timeline of the shipped scenarios ----------------------------------------------------

# Scenarios with a step back (the 24-hour rule, a red session, a regression trigger) or a stop
# that moved the stage (after a morning red flag, a session's red flag, sharp pain after a
# clinician set the stage).
SCENARIOS = (
    "calf_flare_up",
    "issue12_red_session_after_progress",
    "speed_regression_reverts",
    "issue12_reinjury_calf_c6",
    "issue12_reinjury_full_training",
    "issue12_session_red_flags",
    "issue12_triage_combinations",
)


@cache
def _scenario(name: str) -> tuple[Protocol, tuple[DayOutcome, ...]]:
    path = ROOT / "tests" / "scenarios" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("expect", None)
    scenario = parse_scenario(data, source=str(path))
    protocol_name = scenario.protocol or scenario.athlete.injury
    assert isinstance(protocol_name, str)
    protocol = load_protocol(protocol_name)
    return protocol, tuple(simulate(scenario, protocol).days)


def _engine_moves(days: tuple[DayOutcome, ...]) -> tuple[list[StageMove], list[Decision]]:
    """The stage moves and daily decisions the bot stores for the scenario's days."""
    first = days[0]
    moves = [StageMove(_at(first.date), None, first.stage, None, None, "programme started")]
    decisions = []
    for day in days:
        decisions.append(
            Decision(
                athlete_id=1,
                local_date=day.date,
                kind="daily",
                outcome=str(day.decision),
                decision=day.model_dump(mode="json"),
                protocol_name="scenario",
                protocol_version=1,
                created_at=_at(day.date),
            )
        )
        if day.stage_after != day.stage:
            reason = f"engine: {day.decision} on {day.date.isoformat()}"
            moves.append(StageMove(_at(day.date), day.stage, day.stage_after, None, None, reason))
    return moves, decisions


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(19), dt.UTC)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_step_back_and_stop_of_the_scenarios_says_why_in_the_readers_language(
    lang: str,
) -> None:
    problems: list[str] = []
    checked = {"step_back": 0, "stop": 0}
    for name in SCENARIOS:
        protocol, days = _scenario(name)
        moves, decisions = _engine_moves(days)
        with use_language(lang):
            entries = timeline_entries(moves, decisions, protocol, ZoneInfo("UTC"), days[0].date)
            stopped = _("Stopped after a red flag")
        by_date = {d.date: d for d in days}
        for entry in entries[1:]:
            day = by_date[entry.entered]
            if str(day.decision) not in checked:
                continue
            checked[str(day.decision)] += 1
            found = english([entry.reason], lang) + bare_stages(entry.reason, protocol)
            if ENGLISH_RECORD.search(entry.reason):
                found.append("the record's sentence")
            if day.decision == "stop":
                # The stop's own red flag, as the alert card words it.
                [alert] = [a for a in day.alerts if a.rule != "stop.reinjury"]
                with use_language(lang):
                    card = alert_line(alert.rule, alert.text, protocol, day.date)
                    expected = labelled(stopped, card.rstrip("."))
                cut = entry.reason.removesuffix("…")  # a long one is cut at 300 characters
                if entry.reason != expected and not (
                    len(expected) > 300 and expected.startswith(cut)
                ):
                    found.append(f"not the red flag {card!r}")
            if found:
                problems.append(f"{name} {day.date} {day.decision}: {entry.reason!r}: {found}")
    assert checked["step_back"] >= 3 and checked["stop"] >= 4, checked
    assert not problems, f"{lang}:\n" + "\n".join(problems)


# Step-back rules the scenarios do not reach: the engine's reasons (engine.programme,
# engine.session_rules), as stored.
# Each with what its words must say.
STEP_BACKS: dict[str, tuple[dict[str, object], str]] = {
    "morning.p3.repeat": (
        {
            "rule": "morning.p3.repeat",
            "observed": 2,
            "threshold": 2,
            "text": "Rest verdict 2 mornings in a row: step back one stage.",
        },
        "2",
    ),
    "session.red.pain_1h": (
        {
            "rule": "session.red.pain_1h",
            "observed": 5,
            "threshold": "< 5",
            "text": "Pain 1 h after 5/10: red session, step back.",
        },
        "5/10",
    ),
}


@pytest.mark.parametrize("rule", sorted(STEP_BACKS))
@pytest.mark.parametrize("lang", ["de", "fr"])
def test_a_step_back_by_any_rule_says_why_in_the_readers_language(rule: str, lang: str) -> None:
    day = dt.date(2026, 3, 10)
    reason, says = STEP_BACKS[rule]
    payload = {"stage": "H3", "stage_after": "H2", "reasons": [reason], "alerts": []}
    decision = Decision(
        athlete_id=1,
        local_date=day,
        kind="daily",
        outcome="step_back",
        decision=payload,
        protocol_name="hamstring",
        protocol_version=1,
    )
    move = StageMove(_at(day), "H3", "H2", None, None, f"engine: step_back on {day}")
    with use_language(lang):
        [entry] = timeline_entries([move], [decision], HAMSTRING, ZoneInfo("UTC"), day)
    assert not english([entry.reason], lang) and not ENGLISH_RECORD.search(entry.reason), entry
    assert says in entry.reason and not bare_stages(entry.reason, HAMSTRING), entry


# --- column labels ----------------------------------------------------------------------------

TABLE_LABELS = (
    "Injury",
    "Protocol",
    "Current stage",
    "Injury date",
    "Enrolled",
    "Clinician",
    "When",
    "Stage",
    "Moved by",
    "Why",
    "What",
    "Seen",
    "Needed",
    "Status",
    "Metric",
    "Baseline",
    "Latest",
    "Speed (% pre-injury)",
    "Time",
    "Severity",
    "Alert",
    "Acknowledged, action",
    "Action",
    "By",
    "Reason or note",
)


def test_no_column_label_or_severity_is_broken_mid_word_in_any_language() -> None:
    data = make_report(30, alerts=4)  # one alert of each severity
    broken: dict[str, list[str]] = {}
    for lang in ("en", *OTHER_LANGUAGES):
        with use_language(lang):
            text = flat("\n".join(pdf_text(render_report_pdf(data))))
            words = {w for label in TABLE_LABELS for w in _(label).split()}
            words |= {w for severity in SEVERITY_TEXT.values() for w in str(severity).split()}
        found = [w for w in sorted(words) if not re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
        if found:
            broken[lang] = found
    assert not broken, f"broken across lines: {broken}"
