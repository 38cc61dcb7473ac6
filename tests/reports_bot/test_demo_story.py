"""The chart and the PDF of the scripted demo, whose history the real engine and a clinician
wrote through the running bot: each session sits in the band of the stage the engine ran it
in (replayed here from the stored answers), and the record names the review after the red
flag with its reason, as the physiotherapist typed it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.demo import script
from bot.demo.run import run_scripted
from bot.reports.chart import build_chart_spec
from bot.reports.from_store import progress_data_for, report_data_for
from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.standing import protocol_for
from engine.models import DayRecord
from engine.programme import decide_day, initial_state
from tests.reports.pdf_pages import flat, pdf_text


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """Play the scripted demo once and keep its database."""
    folder = tmp_path_factory.mktemp("demo-story")
    result = asyncio.run(run_scripted(folder, keep_db=True, out=io.StringIO()))
    assert result.database is not None
    engine = make_engine(f"sqlite:///{result.database}")
    yield engine, result.files.report
    engine.dispose()


def test_each_demo_session_is_drawn_in_the_stage_the_engine_ran_it_in(
    demo: tuple[Engine, Path],
) -> None:
    engine, _ = demo
    with session_scope(engine, read_only=True) as session:
        athlete = repo.get_person_by_telegram_id(session, telegram_user_id=script.ATHLETE_ID)
        assert athlete is not None and athlete.id is not None
        programme = repo.get_active_programme(session, athlete_id=athlete.id)
        injury = repo.latest_injury(session, athlete_id=athlete.id)
        assert programme is not None and injury is not None
        protocol = protocol_for(session, programme)
        baseline = repo.latest_baseline(session, athlete_id=athlete.id)
        last = max(r.local_date for r in repo.decisions_between(
            session, athlete_id=athlete.id, since=programme.start_date,
            until=programme.start_date + dt.timedelta(days=60),
        ))  # fmt: skip
        records = repo.load_day_records(
            session, athlete_id=athlete.id, since=programme.start_date, until=last
        )
        data = progress_data_for(session, athlete_id=athlete.id, today=last)
        current = programme.current_stage
    # The engine's own account: replay the stored days, read the stage of each session.
    by_date = {r.date: r for r in records}
    state = initial_state(protocol, programme.start_date)
    window: list[DayRecord] = []
    truth: dict[dt.date, str] = {}
    day = programme.start_date
    while day <= last:
        record = by_date.get(day) or DayRecord(date=day)
        _, state = decide_day(protocol, injury, baseline, state, record, window)
        if record.session is not None and state.last_session is not None:
            truth[day] = state.last_session.stage
        window.append(record)
        day += dt.timedelta(days=1)
    # The story's sessions: H0, H1, the first H2 runs after a morning move up, H1 after the
    # morning step back, and H2 again.
    assert len(truth) >= 5 and len(set(truth.values())) >= 3, truth
    spec = build_chart_spec(data)
    for date, stage in truth.items():
        x = (date - injury.injury_date).days
        band = spec.band_at(x)
        assert band is not None and band.stage == stage, f"session of {date}"
    assert spec.stage == spec.bands[-1].stage == current


def test_the_demo_report_names_the_review_after_the_red_flag(demo: tuple[Engine, Path]) -> None:
    _, report = demo
    text = flat(" ".join(pdf_text(report.read_bytes())))
    assert "Reviewed: may run again Dr Lee seen in clinic: no nerve involvement" in text
    assert "Signed off: may leave H0" in text
    assert " clear" not in text.replace("clearance", "")
    assert "engine" not in text.lower().replace("sprintback", "")
    engine, _ = demo
    with session_scope(engine, read_only=True) as session:
        athlete = repo.get_person_by_telegram_id(session, telegram_user_id=script.ATHLETE_ID)
        assert athlete is not None and athlete.id is not None
        data = report_data_for(
            session, athlete_id=athlete.id, now=dt.datetime(2026, 3, 12, 8, tzinfo=dt.UTC),
            viewer=None,
        )  # fmt: skip
    assert data.trend is not None and data.trend.since == data.enrolled
