"""Hypothesis: any text typed at any step of any questionnaire, through the real service and
store: no exception, and the stored answers always validate against the data dictionary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from bot.services.athlete import questionnaire as svc
from bot.services.athlete.engine_bridge import notify_nobody
from bot.services.athlete.results import Env
from bot.services.questionnaires import QUESTIONNAIRES
from bot.services.questionnaires.dates import INJURY_DATE_AGAIN
from bot.services.questionnaires.model import Question
from bot.services.questionnaires.steps import apply_answer, next_step
from bot.store import repo
from bot.store.db import create_all_for_tests, make_engine, session_scope
from bot.store.models import Person
from engine.models import Checks, Metrics, MorningCheckIn, SessionReport

NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
ENV = Env(now=NOW, notify=notify_nobody)
REPLIES: dict[str, Any] = {
    "consent_store": True,
    "consent_share": True,
    "injury": "hamstring",
    "muscle": "unknown",
    "side": "left",
    "grade": 1,
    "injury_date": "2026-03-01",
    "mechanism": "sprint",
    "sport": "Rugby",
    "baseline": {"vmax_ms": 9.0},
    "tz_region": "Europe",
    "timezone": "Europe/Berlin",
    "checkin_time": "07:00",
    "red_flags": [],
    "completion": "partial",
    "pain_max": 2,
    "sharp_pain": False,
    "metrics": "steps",
    "setting": "timezone",
}
TYPED_KINDS = ("scale10", "hooper", "number", "date", "time", "text", "metrics", "timezone")


def _steps() -> list[tuple[str, str]]:
    """Every (questionnaire, key) whose question can be answered by typing."""
    found = []
    for name, q in QUESTIONNAIRES.items():
        for question in q.questions:
            if question.kind in TYPED_KINDS or name == "delete":
                found.append((name, question.key))
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One database with an onboarded athlete (1) and a newcomer (2)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}")
    create_all_for_tests(engine)
    with session_scope(engine) as session:
        athlete = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=1,
            now=NOW,
            chat_id=1,
            timezone="Europe/Berlin",
        )
        repo.create_person(session, role="athlete", telegram_user_id=2, now=NOW)
        progress, _ = svc.begin(session, athlete, "onboarding", ENV)
        # Every question but the confirmation and the injury date asked again (only when the
        # first one is after the athlete's today).
        keys = [
            q.key
            for q in QUESTIONNAIRES["onboarding"].questions
            if q.key not in ("confirm", INJURY_DATE_AGAIN)
        ]
        progress.answers = {k: REPLIES[k] for k in keys}
        session.add(progress)
        session.flush()
        confirm = QUESTIONNAIRES["onboarding"].question("confirm")
        svc.answer(session, athlete, progress, confirm, True, "Confirm", ENV)
    yield engine
    engine.dispose()


def _prefill(name: str, key: str, person: Person, session: Session) -> dict[str, Any]:
    q = QUESTIONNAIRES[name]
    ctx = svc.context_for(session, person, NOW.date())
    answers: dict[str, Any] = {}
    while (step := next_step(q, answers, ctx)) is not None and step.question.key != key:
        answers = apply_answer(q, answers, step.question.key, _default(step.question, ctx, answers))
    return answers


def _default(question: Question, ctx: Any, answers: dict[str, Any]) -> Any:
    if question.key in REPLIES:
        return REPLIES[question.key]
    if question.key.startswith("m_"):
        return None
    options = question.render_options(ctx, answers)
    if options:
        return options[0].value
    return question.minimum if question.minimum is not None else 1


def _assert_valid(kind: str, answers: dict[str, Any]) -> None:
    if kind == "morning":
        MorningCheckIn.model_validate(
            {k: v for k, v in answers.items() if k in MorningCheckIn.model_fields}
        )
    if kind == "session":
        SessionReport.model_validate(
            {
                k: v
                for k, v in answers.items()
                if k in SessionReport.model_fields and k not in ("metrics", "checks")
            }
        )
        Checks.model_validate(
            {k[6:]: v for k, v in answers.items() if k.startswith("check_") and v is not None}
        )
        Metrics.model_validate(
            {
                k[2:]: v
                for k, v in answers.items()
                if k.startswith("m_") and isinstance(v, int | float)
            }
        )
    for key in ("metrics", "baseline"):
        if isinstance(answers.get(key), dict):
            Metrics.model_validate(answers[key])


@pytest.mark.parametrize(("name", "key"), _steps(), ids=[f"{n}.{k}" for n, k in _steps()])
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(max_size=60)
    | st.sampled_from(
        [
            "0",
            "10",
            "11",
            "-1",
            "7,5",
            "1e9",
            "nan",
            "∞",
            "yes",
            "Skip",
            "2026-02-30",
            "25:00",
            "vmax 40",
            "10m 1.82 vmax 8.7",
            "Europe/Berlin",
            "Atlantis",
            "none",
            "/cancel",
        ]
    )
)
def test_typed_input_never_crashes_or_stores_an_invalid_answer(
    store: Engine, name: str, key: str, text: str
) -> None:
    with Session(store, expire_on_commit=False) as session:
        person = repo.get_person_by_telegram_id(
            session, telegram_user_id=2 if name == "onboarding" else 1
        )
        assert person is not None
        progress = repo.start_questionnaire(
            session, athlete_id=person.id or 0, kind=name, local_date=NOW.date(), now=NOW
        )
        progress.answers = _prefill(name, key, person, session)
        session.add(progress)
        session.flush()
        result = svc.typed(session, person, text, ENV)
        assert result.outs and all(out.text for out in result.outs)
        after = repo.get_questionnaire(session, progress_id=progress.id or 0)
        if after is not None:
            _assert_valid(name, dict(after.answers))
        session.rollback()
