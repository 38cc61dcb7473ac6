"""/export says who an athlete's data was shared with and who acted on their programme: beside
every number of a clinician (or admin) a row holds, their display name and role, in fields
added next to the number (none renamed: the export's format stays readable by what read it
before). Nothing of another athlete is added. SQLite and PostgreSQL.

After the rich history of ``tests.privacy.story``: Anna's link to Lee, the invitation Lee made
for her, Lee's note about her, his acknowledgement of her alert and his message to her name
Lee; once she stops sharing with him (/unlink), her own audit
entry of it still says with whom."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tests.athlete.conftest import World
from tests.privacy.story import LEE_MESSAGE, LEE_NOTE_ANNA, play, say
from tests.privacy.test_export_complete import csv_tables, exported

Factory = Callable[[], Awaitable[World]]
LEE_NAMED = {"name": "Lee", "role": "clinician"}


def named(row: dict[str, Any], stem: str) -> dict[str, Any]:
    """The name and role a row gives beside its ``<stem>`` number."""
    return {"name": row.get(f"{stem}_name"), "role": row.get(f"{stem}_role")}


async def test_her_export_names_the_clinician_beside_each_number(world: Factory) -> None:
    w = await world()
    story = await play(w)
    data, csv_text = await exported(w, story)
    tables = data["tables"]
    [link] = tables["link"]
    assert link["clinician_id"] == story.lee_id and named(link, "clinician") == LEE_NAMED
    [invite] = tables["invite"]
    assert invite["clinician_id"] == story.lee_id and named(invite, "clinician") == LEE_NAMED
    assert named(invite, "created_by") == LEE_NAMED
    [note] = tables["note"]
    assert note["text"] == LEE_NOTE_ANNA and note["author_id"] == story.lee_id
    assert named(note, "author") == LEE_NAMED
    acknowledged = [row for row in tables["alert"] if row["acknowledged_by"] is not None]
    assert acknowledged and all(named(a, "acknowledged_by") == LEE_NAMED for a in acknowledged)
    [message] = [row for row in tables["outbox"] if LEE_MESSAGE in row["text"]]
    assert message["author_id"] == story.lee_id and named(message, "author") == LEE_NAMED
    # Her own number, and rows naming nobody, get nothing added.
    for rows in tables.values():
        for row in rows:
            assert "person_name" not in row and "athlete_name" not in row, row
            assert "used_by_name" not in row, row
    for row in tables["stage_change"]:
        if row["by_person_id"] is None:  # the engine moved her
            assert "by_person_name" not in row, row
    # Nothing of anyone else's: the names added are her clinician's only.
    dump = json.dumps(data, ensure_ascii=False)
    assert "Ben" not in dump and "Ada" not in dump
    # The CSV holds the same fields, beside the numbers (which keep their columns).
    read_back = csv_tables(csv_text)
    [csv_link] = read_back["link"]
    assert csv_link["clinician_id"] == str(story.lee_id)
    assert (csv_link["clinician_name"], csv_link["clinician_role"]) == ("Lee", "clinician")
    [csv_note] = read_back["note"]
    assert (csv_note["author_name"], csv_note["author_role"]) == ("Lee", "clinician")


async def test_after_she_stops_sharing_her_export_still_says_with_whom(world: Factory) -> None:
    w = await world()
    story = await play(w)
    assert "Stop sharing" in await say(story.anna.user, "/unlink")
    await story.anna.tap("Stop sharing")
    data, csv_text = await exported(w, story)
    assert data["tables"]["link"] == []
    [unlinked] = [e for e in data["tables"]["audit_log"] if e["action"] == "unlink"]
    assert unlinked["detail"] == {
        "clinician_id": story.lee_id,
        "clinician_name": "Lee",
        "clinician_role": "clinician",
    }
    [csv_unlink] = [e for e in csv_tables(csv_text)["audit_log"] if e["action"] == "unlink"]
    assert csv_unlink["detail.clinician_name"] == "Lee"
