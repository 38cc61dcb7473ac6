"""Protocol drafts, publishing and rollback against a real (SQLite) store."""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, delete, select

from bot.services import protocol_admin as pa
from bot.store.db import session_scope
from bot.store.models import Programme, ProtocolVersion
from bot.store.repo.people import create_person
from bot.store.repo.programme import start_programme
from engine.schema import ProtocolError

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session on an empty migrated database (SQLite, then PostgreSQL)."""
    with Session(db, expire_on_commit=False) as s:
        yield s


def test_shipped_protocol_is_seeded_as_version_1(session: Session) -> None:
    assert "hamstring" in pa.known_names(session, NOW)
    active = pa.active_version(session, "hamstring", NOW)
    assert active is not None and active.version == 1 and active.active


def test_set_shows_the_one_changed_line_and_publish_makes_version_2(session: Session) -> None:
    draft = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "5", NOW)
    diff = pa.draft_diff(session, draft, NOW)
    changed = [x for x in diff.splitlines() if x[:1] in "+-" and not x.startswith(("+++", "---"))]
    assert changed == ["-    value: 4", "+    value: 5"]
    assert pa.active_version(session, "hamstring", NOW).version == 1  # type: ignore[union-attr]
    published = pa.publish(session, draft, None, NOW)
    assert published.version == 2
    active = pa.parse_text(pa.active_version(session, "hamstring", NOW).text, "x")  # type: ignore[union-attr]
    assert active.stage("H3").min_days.value == 5


def test_invalid_edit_is_refused_with_the_schema_message_and_nothing_changes(
    session: Session,
) -> None:
    with pytest.raises(ProtocolError, match="threshold 11 out of range"):
        pa.draft_from_set(session, "hamstring", "H3", "exit_criteria[H3e].threshold", "11", NOW)
    with pytest.raises(ProtocolError, match="no such stage"):
        pa.draft_from_set(session, "hamstring", "H9", "min_days.value", "5", NOW)
    assert [v.version for v in pa.history(session, "hamstring")] == [1]


def test_upload_with_a_yaml_error_names_the_line(session: Session) -> None:
    with pytest.raises(ProtocolError, match="not valid YAML at line 2"):
        pa.draft_from_upload(session, "name: x\n  bad: [\n", "x.yaml", NOW)


def test_stale_draft_cannot_be_published(session: Session) -> None:
    first = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "5", NOW)
    second = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "6", NOW)
    pa.publish(session, first, None, NOW)
    with pytest.raises(pa.StaleDraftError):
        pa.publish(session, second, None, NOW)


def test_rollback_republishes_the_old_text_as_a_new_version(session: Session) -> None:
    original = pa.active_version(session, "hamstring", NOW).text  # type: ignore[union-attr]
    pa.publish(
        session,
        pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "5", NOW),
        None,
        NOW,
    )
    rolled = pa.rollback(session, "hamstring", 1, None, NOW)
    assert rolled.version == 3 and rolled.text == original and rolled.note == "rollback to v1"
    assert [(v.version, v.active) for v in pa.history(session, "hamstring")] == [
        (3, True),
        (2, False),
        (1, False),
    ]
    with pytest.raises(ProtocolError, match="no version 9"):
        pa.rollback(session, "hamstring", 9, None, NOW)


def test_dry_run_replays_the_examples_and_reports_changed_decisions(session: Session) -> None:
    stricter = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "8", NOW)
    report = pa.dry_run_draft(session, stricter, NOW.date(), NOW)
    assert "examples/hamstring_grade1.yaml" in report.cases
    first = report.changes[0]
    assert first.before is not None and first.after is not None
    assert (first.before.decision, first.before.stage_after) == ("progress", "H4")
    assert (first.after.decision, first.after.stage_after) == ("hold", "H3")
    same = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "4", NOW)
    assert pa.dry_run_draft(session, same, NOW.date(), NOW).changes == ()


def _athlete_on_hamstring(session: Session, telegram_id: int, stage: str) -> int:
    person = create_person(session, role="athlete", telegram_user_id=telegram_id, now=NOW)
    assert person.id is not None
    version = pa.active_version(session, "hamstring", NOW)
    assert version is not None
    start_programme(
        session,
        athlete_id=person.id,
        protocol_name="hamstring",
        protocol_version=version.version,
        first_stage=stage,
        start_date=NOW.date(),
        now=NOW,
    )
    return person.id


def test_publishing_moves_running_programmes_to_the_new_version(session: Session) -> None:
    athlete = _athlete_on_hamstring(session, 501, "H2")
    pa.publish(
        session,
        pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "5", NOW),
        None,
        NOW,
    )
    programme = session.exec(select(Programme).where(Programme.athlete_id == athlete)).one()
    assert programme.protocol_version == 2
    pa.rollback(session, "hamstring", 1, None, NOW)
    session.refresh(programme)
    assert programme.protocol_version == 3


def test_a_text_without_a_stage_in_use_is_not_published(session: Session) -> None:
    # Every reference stage (H0-H7) must stay (engine.floors): the stage in use here is one
    # of the protocol's own, an extra "H8" between H1 and H2.
    active = pa.active_version(session, "hamstring", NOW)
    assert active is not None
    data = yaml.safe_load(active.text)
    extra = {**copy.deepcopy(data["stages"][1]), "id": "H8"}
    data["stages"].insert(2, extra)
    longer = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    pa.publish(session, pa.draft_from_upload(session, longer, "long.yaml", NOW), None, NOW)
    _athlete_on_hamstring(session, 502, "H8")
    data["stages"] = [s for s in data["stages"] if s["id"] != "H8"]
    shorter = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    draft = pa.draft_from_upload(session, shorter, "short.yaml", NOW)
    with pytest.raises(pa.StageInUseError, match="1 athlete is in H8, which the new text does"):
        pa.publish(session, draft, None, NOW)
    assert [v.version for v in pa.history(session, "hamstring")] == [2, 1]


def test_publishing_a_new_display_text_records_the_languages_to_review(session: Session) -> None:
    draft = pa.draft_from_set(session, "hamstring", "H2", "name", "Easy running", NOW)
    pa.publish(session, draft, None, NOW)
    session.commit()
    todo = pa.texts_to_review(session, "hamstring", NOW)
    assert [(t.location, t.text, t.languages) for t in todo] == [
        ("hamstring H2: stage name", "Easy running", ("es", "pt", "fr", "de"))
    ]
    assert pa.untranslated_languages("Easy running") == ["es", "pt", "fr", "de"]
    # The shipped texts are extracted into the catalogues: back to them, nothing to review.
    pa.rollback(session, "hamstring", 1, None, NOW)
    assert pa.texts_to_review(session, "hamstring", NOW) == []


def _seed_an_older_packaged_text(session: Session) -> str:
    """Store what an earlier Sprintback shipped (min_days of H3 one day longer) as v1."""
    shipped = pa.shipped_file("hamstring")
    assert shipped is not None
    text = shipped.read_text(encoding="utf-8")
    older = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "9", NOW).text
    session.exec(delete(ProtocolVersion))
    session.add(
        ProtocolVersion(
            name="hamstring",
            version=1,
            text=older,
            note=pa.SEEDED_NOTE,
            created_at=NOW,
            active=True,
        )
    )
    session.flush()
    return text


def test_an_upgrade_brings_the_packaged_protocol_into_force_and_moves_athletes(
    session: Session,
) -> None:
    shipped = _seed_an_older_packaged_text(session)
    athlete = _athlete_on_hamstring(session, 502, "H3")
    lines = pa.refresh_packaged(session, NOW)
    assert lines == ["hamstring: the packaged text is now in force as v2"]
    active = pa.active_version(session, "hamstring", NOW)
    assert active is not None and active.version == 2 and active.text == shipped
    programme = session.exec(select(Programme).where(Programme.athlete_id == athlete)).one()
    assert programme.protocol_version == 2
    assert pa.refresh_packaged(session, NOW) == []  # nothing more to do on the next start


def test_an_admins_version_this_version_refuses_gives_way_to_the_packaged_text(
    session: Session,
) -> None:
    """An admin's version published before a safety floor existed (here: without stage H4,
    which an upgrade now refuses) could no longer be run: the packaged text takes over at
    start-up, the athletes move onto it, and the admin's version stays in the history."""
    _seed_an_older_packaged_text(session)
    admin = create_person(session, role="admin", telegram_user_id=9001, now=NOW)
    data = yaml.safe_load(pa.active_version(session, "hamstring", NOW).text)  # type: ignore[union-attr]
    data["stages"] = [s for s in data["stages"] if s["id"] != "H4"]
    session.exec(delete(ProtocolVersion))
    session.add(
        ProtocolVersion(
            name="hamstring",
            version=2,
            text=yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
            note="set by an admin before the floor",
            author_id=admin.id,
            created_at=NOW,
            active=True,
        )
    )
    session.flush()
    athlete = _athlete_on_hamstring(session, 503, "H3")
    lines = pa.refresh_packaged(session, NOW)
    assert "v2, which an admin published, no longer passes" in lines[0] and "H4" in lines[0]
    assert lines[-1] == "hamstring: the packaged text is now in force as v3"
    programme = session.exec(select(Programme).where(Programme.athlete_id == athlete)).one()
    assert programme.protocol_version == 3
    assert pa.refresh_packaged(session, NOW) == []  # the next start has nothing more to do


def test_an_admins_version_is_left_in_force_after_an_upgrade(session: Session) -> None:
    _seed_an_older_packaged_text(session)
    admin = create_person(session, role="admin", telegram_user_id=9001, now=NOW)
    draft = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "6", NOW)
    pa.publish(session, draft, admin.id, NOW)
    lines = pa.refresh_packaged(session, NOW)
    assert len(lines) == 1 and "an admin published: left in force" in lines[0]
    active = pa.active_version(session, "hamstring", NOW)
    assert active is not None and active.version == 2
    assert pa.parse_text(active.text, "x").stage("H3").min_days.value == 6


def test_two_replicas_seeding_a_protocol_at_once_both_read_version_1(db: Engine) -> None:
    """The first check-ins of a new deployment reach two replicas at once: each found no stored
    hamstring protocol and stored the shipped text as v1; on PostgreSQL the second failed on
    the unique version number and its athlete read "something went wrong"."""
    seeding = threading.Event()

    def other_replica() -> None:
        with session_scope(db) as s:
            pa.ensure_seeded(s, "hamstring", NOW)
            seeding.set()
            time.sleep(0.5)

    writer = threading.Thread(target=other_replica)
    writer.start()
    assert seeding.wait(10)
    with session_scope(db) as s:
        active = pa.active_version(s, "hamstring", NOW)
        assert active is not None and active.version == 1
    writer.join()
    with session_scope(db) as s:
        rows = s.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring")).all()
        assert [(r.version, r.active) for r in rows] == [(1, True)]
