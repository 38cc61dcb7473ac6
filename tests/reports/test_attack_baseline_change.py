"""A change of the pre-injury bests mid-programme, in the report (SQLite and PostgreSQL).

/baseline keeps the old values as earlier rows and audits the change, and the clinician gets
a card in the chat; the report, the record that goes into the medical file, showed only the
new value in its metrics table, as if it had always been so: every percentage of pre-injury
speed rose, and the speed criteria became easier, without a word."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.reports.build import build_report_pdf
from bot.reports.from_store import report_data_for
from bot.services.protocol_admin import ensure_seeded
from bot.store import db, repo
from bot.store.models import Person
from engine.models import Injury, Metrics, SessionReport
from tests.reports.pdf_pages import flat, pdf_text
from tests.store.conftest import db_url, engine, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "engine", "pg_databases", "pg_migrated", "sqlite_template"]

START = dt.date(2026, 3, 2)
T0 = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
CHANGED_AT = dt.datetime(2026, 3, 9, 17, 30, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC)


def _athlete(engine: Engine, *, change: bool) -> tuple[int, int]:
    """Anna (UTC), linked to Lee, 10 days into a hamstring programme with a session on day 5;
    with ``change``, her Vmax lowered from 9 to 8.5 m/s and a 20 m split added on day 8."""
    with db.session_scope(engine) as s:
        ensure_seeded(s, "hamstring", T0)
        lee = repo.create_person(
            s, role="clinician", telegram_user_id=11, chat_id=11, display_name="Lee", now=T0
        )
        anna = repo.create_person(
            s,
            role="athlete",
            telegram_user_id=22,
            chat_id=22,
            display_name="Anna",
            timezone="UTC",
            now=T0,
        )
        assert anna.id is not None and lee.id is not None
        repo.link_athlete(s, athlete_id=anna.id, clinician_id=lee.id, now=T0)
        injury = Injury(injury="hamstring", side="left", injury_date=START - dt.timedelta(days=3))
        repo.add_injury(s, athlete_id=anna.id, injury=injury, now=T0)
        repo.set_baseline(
            s, athlete_id=anna.id, metrics=Metrics(vmax_ms=9.0, split_10m_s=1.8), now=T0
        )
        repo.start_programme(
            s,
            athlete_id=anna.id,
            protocol_name="hamstring",
            protocol_version=1,
            first_stage="H0",
            start_date=START,
            now=T0,
        )
        repo.upsert_session_report(
            s,
            athlete_id=anna.id,
            local_date=START + dt.timedelta(days=5),
            answers=SessionReport(completion="full", metrics=Metrics(vmax_ms=8.1)),
            answered_at=T0 + dt.timedelta(days=5),
            utc_offset_minutes=0,
        )
        if change:
            repo.set_baseline(
                s,
                athlete_id=anna.id,
                metrics=Metrics(vmax_ms=8.5, split_10m_s=1.8, split_20m_s=3.1),
                now=CHANGED_AT,
            )
        return anna.id, lee.id


def test_a_baseline_change_is_shown_beside_the_metrics_with_old_and_new_values(
    engine: Engine,
) -> None:
    anna, lee = _athlete(engine, change=True)
    with db.session_scope(engine, read_only=True) as s:
        data = report_data_for(s, athlete_id=anna, now=NOW, viewer=s.get(Person, lee))
    [change] = data.baseline_changes
    assert change.at == CHANGED_AT
    assert change.changes == ["Vmax: 9 m/s → 8.5 m/s", "20 m split: not recorded → 3.1 s"]
    assert change.easier

    text = flat(" ".join(pdf_text(build_report_pdf(engine, anna, NOW, lee)[0])))
    assert (
        "Pre-injury baseline changed 9 Mar 2026 17:30: Vmax: 9 m/s → 8.5 m/s; "
        "20 m split: not recorded → 3.1 s." in text
    ), text
    assert "A lower Vmax or slower splits make the speed criteria easier to meet." in text
    assert "Percentages are of the baseline as it is now." in text


def test_a_baseline_never_changed_says_nothing_of_changes(engine: Engine) -> None:
    anna, lee = _athlete(engine, change=False)
    with db.session_scope(engine, read_only=True) as s:
        data = report_data_for(s, athlete_id=anna, now=NOW, viewer=s.get(Person, lee))
    assert data.baseline_changes == []
    text = flat(" ".join(pdf_text(build_report_pdf(engine, anna, NOW, lee)[0])))
    assert "baseline changed" not in text and "as it is now" not in text
