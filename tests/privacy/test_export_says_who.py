"""/export says who did what to the athlete's record: each audit entry a clinician or an admin
made about them names who made it (``actor_id``, with their name and role beside it, as every
other number of a clinician in the export is named), and each of the athlete's own entries
says "you". An entry made by the system (a review voided by a later warning sign) names
nobody, and nothing of another athlete is added. SQLite and PostgreSQL.

After the rich history of ``tests.privacy.story``: Lee (her clinician) reviewed her stop,
messaged her, wrote a note about her and made her report; the admin then opens her card."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tests.athlete.conftest import World
from tests.clinician.conftest import open_card
from tests.privacy.story import play
from tests.privacy.test_export_complete import CLINICIAN_ACTIONS, csv_tables, exported

Factory = Callable[[], Awaitable[World]]
WHO = ("actor_id", "actor_name", "actor_role")


async def test_her_export_says_who_made_each_entry_about_her(world: Factory) -> None:
    w = await world()
    story = await play(w)
    await open_card(story.admin, story.anna_id)  # audited as the admin's view of her card
    admin_id = w.person(9000).id  # type: ignore[union-attr]
    data, csv_text = await exported(w, story)
    entries = data["tables"]["audit_log"]
    lee = {"actor_id": story.lee_id, "actor_name": "Lee", "actor_role": "clinician"}
    # Every entry Lee made about her names him, with his role.
    by_lee = [e for e in entries if e.get("actor_id") == story.lee_id]
    assert {e["action"] for e in by_lee} >= CLINICIAN_ACTIONS - {"export"}, by_lee
    for entry in by_lee:
        assert {key: entry[key] for key in WHO} == lee, entry
    # The admin's view of her card names the admin.
    viewed = [e for e in entries if e.get("actor_id") == admin_id]
    assert viewed and all(e["actor_name"] == "Ada" for e in viewed), viewed
    assert all(e["actor_role"] == "admin" for e in viewed), viewed
    # Her own entries say "you".
    hers = [e for e in entries if e.get("actor_id") == story.anna_id]
    assert hers and all(e["actor_name"] == "you" for e in hers), hers
    # Nothing else is named: an entry by someone else names Lee or the admin, or nobody.
    for entry in entries:
        if entry.get("actor_id") not in (story.anna_id, story.lee_id, admin_id):
            assert not set(WHO) & set(entry), entry
    assert "Ben" not in json.dumps(data, ensure_ascii=False)
    # The CSV says the same, beside the number.
    rows = csv_tables(csv_text)["audit_log"]
    review = next(r for r in rows if r["action"] == "review")
    assert (review["actor_id"], review["actor_name"], review["actor_role"]) == (
        str(story.lee_id),
        "Lee",
        "clinician",
    )
    assert all(r["actor_name"] == "you" for r in rows if r["actor_id"] == str(story.anna_id))
