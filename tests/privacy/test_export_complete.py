"""/export holds everything that is the athlete's, in a form a person can read, and nothing of
anyone else (the promise made at onboarding: "You can export it (/export) at any time").

After the rich history of ``tests.privacy.story``: every answer, metric, decision with its
reasons, her own notes, the alerts about her, what her clinician did on her programme (a
review with its note, a message to her, a note about her, an acknowledgement, a report made)
are in both files; nothing of Ben (her clinician's other athlete: his answers, his note, the
clinician's note about him) nor anyone's Telegram id but hers. The clinician's notes about
her are hers to read: the README promises "everything stored about them". SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from tests.athlete.conftest import World
from tests.privacy.story import (
    ANNA,
    BEN,
    BEN_PROBLEM,
    LEE,
    LEE_MESSAGE,
    LEE_NOTE_ANNA,
    LEE_NOTE_BEN,
    PROBLEM_NOTE,
    REVIEW_NOTE,
    UNSENT_NOTE,
    Story,
    play,
)

Factory = Callable[[], Awaitable[World]]
ADMIN = 9000
# Who did what on her programme, as her export lists it (others' entries: what, when, who).
CLINICIAN_ACTIONS = {"acknowledge", "review", "message_athlete", "note", "export", "view"}


async def exported(w: World, story: Story) -> tuple[dict[str, Any], str]:
    """Send /export as Anna; return the JSON file (parsed) and the CSV file's text."""
    await w.deliver()
    await story.anna.user.send("/export")
    messages = await story.anna.user.wait_until(
        lambda ms: sum(m.kind == "document" for m in ms) >= 2, timeout=20
    )
    files = {m.file.filename.rsplit(".", 1)[1]: m.file.data for m in messages if m.file}
    return json.loads(files["json"]), files["csv"].decode()


def csv_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """The combined CSV file read back: one list of rows per '# table' section."""
    tables: dict[str, list[dict[str, str]]] = {}
    for section in text.split("\n# "):
        name, _, body = section.removeprefix("# ").partition("\n")
        tables[name] = list(csv.DictReader(io.StringIO(body)))
    return tables


async def test_her_export_holds_everything_that_is_hers(world: Factory) -> None:
    w = await world()
    story = await play(w)
    data, csv_text = await exported(w, story)
    tables = data["tables"]
    dump = json.dumps(data, ensure_ascii=False)
    # Her own words, and her clinician's about her.
    for words in (PROBLEM_NOTE, UNSENT_NOTE, REVIEW_NOTE, LEE_MESSAGE, LEE_NOTE_ANNA):
        assert words in dump, words
        assert words in csv_text, words
    # Every answer and metric, as stored (not JSON text inside JSON).
    [baseline] = tables["baseline"]
    assert baseline["metrics"] == {"vmax_ms": 9.0, "split_10m_s": 1.8}
    [report] = tables["session_report"]
    assert report["answers"]["metrics"]["vmax_ms"] == 8.7
    assert report["answers"]["pain_max"] == 1
    mornings = {row["local_date"]: row["answers"] for row in tables["morning_checkin"]}
    assert mornings["2026-03-02"]["confidence"] == 8
    assert "pop" in mornings["2026-03-03"]["red_flags"]
    # Each decision with its reasons, each reason in words.
    stop = next(d for d in tables["decision"] if d["outcome"] == "stop")
    assert stop["decision"]["reasons"] and all(r["text"] for r in stop["decision"]["reasons"])
    # The alerts about her, and what her clinician did on her programme.
    assert any("Red flag" in alert["text"] for alert in tables["alert"])
    assert any(alert["acknowledged_at"] for alert in tables["alert"])
    done = {entry["action"] for entry in tables["audit_log"]}
    assert done >= CLINICIAN_ACTIONS, CLINICIAN_ACTIONS - done
    [note] = tables["note"]
    assert note["text"] == LEE_NOTE_ANNA
    # Messages as she read them: the clinician's message, buttons by their labels.
    texts = [row["text"] for row in tables["outbox"]]
    assert any(LEE_MESSAGE in text for text in texts)
    assert "callback_data" not in dump
    # The CSV holds the same rows, table by table.
    read_back = csv_tables(csv_text)
    for name, rows in tables.items():
        assert len(read_back.get(name, [])) == len(rows), name


async def test_her_export_holds_nothing_of_anyone_else(world: Factory) -> None:
    w = await world()
    story = await play(w)
    data, csv_text = await exported(w, story)
    dump = json.dumps(data, ensure_ascii=False)
    for words in (BEN_PROBLEM, LEE_NOTE_BEN, "Ben"):
        assert words not in dump and words not in csv_text, words
    numbers = set(_numbers(data))
    assert ANNA in numbers
    assert not numbers & {BEN, LEE, ADMIN}  # nobody else's Telegram id or chat
    tables = data["tables"]
    programmes = {row["id"] for row in tables["programme"]}
    for name, rows in tables.items():
        for row in rows:
            # Every row is hers: her, about her, or a message or update of her chat.
            if name in ("outbox", "inbox_update"):
                assert row["chat_id"] == ANNA, row
            elif name == "stage_change":
                assert row["programme_id"] in programmes, row
            else:
                owner = {"person": "id", "consent": "person_id", "invite": "used_by"}
                assert row[owner.get(name, "athlete_id")] == story.anna_id, (name, row)
            assert story.ben_id not in (row.get("athlete_id"), row.get("person_id")), row
    # Of what others did about her, what, when and which clinician: nothing of their own.
    others = {"id", "actor_id", "actor_name", "actor_role", "action", "athlete_id", "at", "detail"}
    for entry in data["tables"]["audit_log"]:
        if entry.get("actor_id") != story.anna_id:
            assert set(entry) <= others, entry
            assert entry.get("actor_id") in (None, story.lee_id), entry
    # The alert cards about her went to her clinician: not hers to take away (their text is
    # in her alerts), and they hold the clinician's chat.
    assert all(row["kind"] != "clinician_alert" for row in tables["outbox"])


def _numbers(value: Any) -> list[int]:
    """Every whole number in a JSON value."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for inner in value.values() for n in _numbers(inner)]
    if isinstance(value, list):
        return [n for inner in value for n in _numbers(inner)]
    return []
