"""Migrations: from empty, from the previous revision, downgrade; the `sprintback db` CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text

from bot.cli import main as cli_main
from bot.settings import load_settings
from bot.store import db, repo
from bot.store.models import metadata
from tests.store.factories import DAY0, MORNING, T0


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(db.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _schema_diff(url: str) -> list[object]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                compare_metadata(
                    MigrationContext.configure(
                        conn, opts={"compare_type": True, "compare_server_default": True}
                    ),
                    metadata,
                )
            )
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_there_are_at_least_two_revisions_in_one_line() -> None:
    revisions = _revisions()
    assert len(revisions) >= 2
    assert db.head_revision() == revisions[-1]


def test_upgrade_from_empty_gives_exactly_the_models_schema(empty_db_url: str) -> None:
    engine = db.make_engine(empty_db_url)
    assert "no Sprintback schema yet" in (db.check_schema_current(engine) or "")
    db.upgrade(empty_db_url)
    assert db.check_schema_current(engine) is None
    engine.dispose()
    assert _tables(empty_db_url) == set(metadata.tables)
    assert _schema_diff(empty_db_url) == []


def test_upgrade_from_previous_revision_keeps_data(empty_db_url: str) -> None:
    previous = _revisions()[-2]
    db.upgrade(empty_db_url, previous)
    engine = db.make_engine(empty_db_url)
    message = db.check_schema_current(engine)
    assert message == (
        f"database schema is at rev {previous}, code expects {db.head_revision()}: "
        "run `sprintback db upgrade`"
    )
    # Data written at the previous revision survives the upgrade. It is written through that
    # revision's own tables (reflected), since today's models may have columns it lacks.
    tables = MetaData()
    tables.reflect(engine, only=("person", "morning_checkin"))
    with engine.begin() as conn:
        athlete_id = conn.execute(
            tables.tables["person"]
            .insert()
            .values(
                role="athlete",
                telegram_user_id=4_000_000_001,
                display_name="Early Bird",
                language="en",
                timezone="Europe/Berlin",
                paused=False,
                unreachable=False,
                created_at=T0,
            )
        ).inserted_primary_key[0]
        conn.execute(
            tables.tables["morning_checkin"]
            .insert()
            .values(
                athlete_id=athlete_id,
                local_date=DAY0,
                answers=MORNING.model_dump(mode="json", exclude_none=True),
                answered_at=T0,
                utc_offset_minutes=60,
                updated_at=T0,
            )
        )
    db.upgrade(empty_db_url)
    assert db.check_schema_current(engine) is None
    with db.session_scope(engine, read_only=True) as s:
        assert repo.get_morning_checkin(s, athlete_id=athlete_id, local_date=DAY0) == MORNING
        assert repo.require_person(s, person_id=athlete_id).display_name == "Early Bird"
    engine.dispose()
    assert _schema_diff(empty_db_url) == []


def test_downgrade_one_step_then_to_base_and_up_again(empty_db_url: str) -> None:
    revisions = _revisions()
    db.upgrade(empty_db_url)
    db.downgrade(empty_db_url, revisions[-2])
    engine = db.make_engine(empty_db_url)
    assert db.current_revision(engine) == revisions[-2]
    engine.dispose()
    db.downgrade(empty_db_url, "0004")  # before the scale-out: the durable inbox is gone
    engine = db.make_engine(empty_db_url)
    tables = set(inspect(engine).get_table_names())
    assert "processed_update" in tables and "inbox_update" not in tables
    engine.dispose()
    db.downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == set()
    db.upgrade(empty_db_url)
    assert _schema_diff(empty_db_url) == []


def test_cli_upgrade_current_downgrade(
    empty_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    head = db.head_revision()
    assert cli_main(["db", "--database-url", empty_db_url, "current"]) == 0
    assert f"current: none (empty database); code expects: {head}" in capsys.readouterr().out
    assert cli_main(["db", "--database-url", empty_db_url, "upgrade"]) == 0
    assert "upgraded to head" in capsys.readouterr().out
    assert cli_main(["db", "--database-url", empty_db_url, "current"]) == 0
    assert f"current: {head}; code expects: {head}" in capsys.readouterr().out
    assert cli_main(["db", "downgrade", "base", "--database-url", empty_db_url]) == 0
    assert _tables(empty_db_url) == set()


def test_cli_reads_database_url_from_the_environment(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    assert cli_main(["db", "upgrade"]) == 0
    engine = db.make_engine(empty_db_url)
    assert db.check_schema_current(engine) is None
    engine.dispose()


def test_cli_reports_a_bad_revision_without_a_traceback(
    empty_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["db", "--database-url", empty_db_url, "downgrade", "nonsense"]) == 1
    err = capsys.readouterr().err
    assert "sprintback db downgrade failed" in err and "nonsense" in err
    assert "Traceback" not in err


def test_cli_works_from_another_directory(
    empty_db_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")
    assert cli_main(["db", "--database-url", empty_db_url, "upgrade"]) == 0
    engine = db.make_engine(empty_db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            db.head_revision()
        )
    engine.dispose()


def test_schema_check_names_a_revision_newer_than_the_code(empty_db_url: str) -> None:
    db.upgrade(empty_db_url)
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    message = db.check_schema_current(engine) or ""
    engine.dispose()
    assert "at rev ffff_future, which this version of Sprintback does not know" in message


def test_protocol_text_review_comes_with_0007_and_goes_with_its_downgrade(
    empty_db_url: str,
) -> None:
    db.upgrade(empty_db_url, "0006")
    assert "protocol_text_review" not in _tables(empty_db_url)
    db.upgrade(empty_db_url, "0007")
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO protocol_text_review (protocol_name, version, location, text, "
                "languages, created_at) VALUES ('hamstring', 2, 'hamstring H3: stage goal', "
                "'Build volume', 'es,pt,fr,de', :at)"
            ),
            {"at": T0},
        )
    with db.session_scope(engine, read_only=True) as s:
        rows = repo.texts_for_review(s, name="hamstring")
        assert [(r.text, r.languages, r.created_at) for r in rows] == [
            ("Build volume", "es,pt,fr,de", T0)
        ]
    engine.dispose()
    db.downgrade(empty_db_url, "0006")
    assert "protocol_text_review" not in _tables(empty_db_url)


def test_cli_acts_on_the_database_run_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sprintback db upgrade` reads DATABASE_URL from ./.env as `sprintback run` does, and
    with nothing set both use the same file: the README's set-up works as written."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///from-env-file.sqlite3\n")
    assert cli_main(["db", "upgrade"]) == 0
    assert "from-env-file.sqlite3" in capsys.readouterr().out
    assert (tmp_path / "from-env-file.sqlite3").exists()
    (tmp_path / ".env").write_text("DATABASE_URL=\n")  # left empty: the default file
    assert cli_main(["db", "upgrade"]) == 0
    opened = load_settings().database_url
    engine = db.make_engine(opened)
    assert db.check_schema_current(engine) is None  # what `run` checks before it starts
    engine.dispose()
    assert opened == "sqlite:///sprintback.sqlite3" and (tmp_path / "sprintback.sqlite3").exists()
