"""Where a refused protocol edit is wrong, told as a sport scientist reads the protocol, through
the real bot (SQLite and PostgreSQL).

Before: every refusal named the schema's path, ``stages[H3].exit_criteria[3].threshold``: list
indexes counted from 0 and brackets an admin never wrote. Now each stage is named by its
position and id ("stage 4 (H3)") and each list item by its position and id, while the field
names stay as written in the YAML: "stage 4 (H3), exit_criteria 4 (H3e), threshold". This
holds for /protocol set, an uploaded file, a rollback and /protocol diff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import yaml

from bot.sandbox import SimUser
from bot.services.protocol_files import PROTOCOL_DIR
from bot.store.db import session_scope
from bot.store.repo.protocols import publish_protocol_version
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
REFUSED = "Not accepted; the active version is unchanged."
SHIPPED = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def upload(user: SimUser, data: dict[str, Any], filename: str = "hamstring.yaml") -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    await user.send_document(filename, text.encode())
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


def problems(reply: str) -> list[str]:
    """The refusal's problem lines (after its first line)."""
    assert reply.startswith(REFUSED), reply
    assert "stages[" not in reply, reply
    return reply.splitlines()[1:]


async def test_a_set_names_the_stage_and_the_item_by_position_and_id(
    world: WorldFactory,
) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    reply = await say(ada, "/protocol set hamstring H3 min_days.value -3")
    assert problems(reply) == [
        "hamstring draft: stage 4 (H3), min_days.value: expected at least 0, not -3"
    ], reply
    reply = await say(ada, "/protocol set hamstring H3 exit_criteria[H3e].threshold 11")
    assert problems(reply) == [
        "hamstring draft: stage 4 (H3), exit_criteria 4 (H3e), threshold: threshold 11 out "
        "of range for session.confidence: expected 0–10"
    ], reply
    reply = await say(ada, "/protocol set hamstring H3 session[0].distance_m 0")
    assert problems(reply) == [
        "hamstring draft: stage 4 (H3), session 1, distance_m: expected more than 0, not 0"
    ], reply
    # A field that does not exist: said before any text is made, the same way.
    reply = await say(ada, "/protocol set hamstring H3 min_dayz.value 5")
    [line] = problems(reply)
    assert line.startswith(
        "stage 4 (H3), min_dayz.value: no field 'min_dayz': expected one of id, name"
    ), reply
    assert len(w.audit("protocol_edit_refused")) == 4


async def test_an_upload_names_each_stage_by_position_and_id(world: WorldFactory) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    data: dict[str, Any] = yaml.safe_load(SHIPPED)
    data["stages"][3]["min_days"]["value"] = "four"  # H3
    data["stages"][5]["exit_criteria"][0]["threshold"] = "fast"  # H5's first criterion
    reply = await upload(ada, data)
    assert problems(reply) == [
        "hamstring.yaml: stage 4 (H3), min_days.value: expected a whole number, not 'four'",
        "hamstring.yaml: stage 6 (H5), exit_criteria 1 (H5a), threshold: expected a number, "
        "not 'fast'; or expected yes or no (true / false), not 'fast'",
    ], reply

    # A stage id written twice: both places; a stage out of order: where it now stands.
    data = yaml.safe_load(SHIPPED)
    data["stages"][6]["id"] = "H5"
    reply = await upload(ada, data)
    assert (
        "hamstring.yaml: stages 6 and 7 (H5), id: duplicate stage id 'H5': ids must be unique"
    ) in problems(reply), reply
    data = yaml.safe_load(SHIPPED)
    stages = data["stages"]
    data["stages"] = [*stages[:5], stages[6], stages[5], stages[7]]  # H0..H4, H6, H5, H7
    reply = await upload(ada, data)
    assert any(
        line.startswith("hamstring.yaml: stage 7 (H5): H5 comes after H6")
        for line in problems(reply)
    ), reply


async def test_a_rollback_and_a_diff_name_the_stage_of_a_version_no_longer_valid(
    world: WorldFactory,
) -> None:
    """A stored version that this release's checks refuse (written before a floor existed)."""
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    data: dict[str, Any] = yaml.safe_load(SHIPPED)
    data["stages"][3]["min_days"]["value"] = 2  # below the reference's 4 days in H3
    with session_scope(w.engine) as session:
        publish_protocol_version(
            session,
            name="hamstring",
            text=yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
            author_id=None,
            now=w.clock.now(),
            note="older rules",
            activate=False,
        )
    reply = await say(ada, "/protocol rollback hamstring 2")
    [line] = problems(reply)
    assert line.startswith(
        "hamstring v2: stage 4 (H3), min_days.value: 2 is below the reference"
    ), reply
    reply = await say(ada, "/protocol diff hamstring 2")
    assert reply.startswith("Cannot compare: hamstring v2: stage 4 (H3), min_days.value: "), reply
