"""An admin edits a protocol in chat: show, set, diff, dry-run, publish, roll back, upload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.services.access import REFUSAL_TEXT
from bot.services.protocol_files import PROTOCOL_DIR
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from bot.store.repo.protocols import publish_protocol_version
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


def versions(w: World) -> list[tuple[int, bool, str]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring"))
        return sorted((r.version, r.active, r.note) for r in rows)


async def test_admin_edits_a_threshold_dry_runs_publishes_and_rolls_back(
    world: WorldFactory,
) -> None:
    w = await world()
    w.add_athlete(3001, "Anna")
    admin = w.sandbox.user(ADMIN, "Ada")

    listing = await say(admin, "/protocols")
    assert "hamstring: active v1, 1 athlete" in listing and "calf: active v1" in listing
    assert "min_days" in await say(admin, "/protocol show hamstring H3")
    assert [r.detail["what"] for r in w.audit("view")] == ["protocol"]

    draft = await say(admin, "/protocol set hamstring H3 min_days.value 8")
    assert "-    value: 4" in draft and "+    value: 8" in draft
    assert admin.last_bot_message.button_labels == ["✅ Publish", "🗑 Discard"]
    assert versions(w) == [(1, True, "seeded from protocols/")]

    report = await say(admin, "/protocol dryrun hamstring")
    assert "examples/hamstring_grade1.yaml 2026-03-15: progress (H3→H4) → hold (H3)" in report
    assert "athlete #" in report or "cases replayed" in report

    await admin.press("✅ Publish")
    published = await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))
    assert any("hamstring v2 is published and active" in (m.text or "") for m in published)
    assert versions(w)[-1] == (2, True, "set H3 min_days.value = 8")

    history = await say(admin, "/protocol history hamstring")
    assert "v2 (active)" in history and "v1 " in history

    offer = await say(admin, "/protocol rollback hamstring 1")
    assert offer.startswith("Roll hamstring back to v1?"), offer
    assert [(v, a) for v, a, _ in versions(w)] == [(1, False), (2, True)]  # not yet
    await admin.press("✅ Confirm rollback")
    rolled = await admin.wait_until(
        lambda ms: any("is published again" in (m.text or "") for m in ms)
    )
    assert any("published again as v3" in (m.text or "") for m in rolled)
    assert [(v, a) for v, a, _ in versions(w)] == [(1, False), (2, False), (3, True)]
    audit_actions = {r.action for r in w.audit("publish_protocol")} | {
        r.action for r in w.audit("protocol_dryrun")
    }
    assert audit_actions == {"publish_protocol", "protocol_dryrun"}


async def test_publish_under_an_older_offer_never_publishes_the_newer_draft(
    world: WorldFactory,
) -> None:
    """Two edits in a row: each offer's Publish publishes what that offer showed. The first
    offer's draft was replaced by the second, so its buttons say so and change nothing."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    first = admin.last_bot_message
    await say(admin, "/protocol set hamstring H2 min_days.value 9")
    for label in ("✅ Publish", "🗑 Discard"):
        await admin.press(label, first)
        await admin.expect_no_reply()
        answer = admin.last_callback_answer
        assert answer is not None and answer.text == "This draft is no longer open."
    assert versions(w) == [(1, True, "seeded from protocols/")]
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))
    assert versions(w)[-1] == (2, True, "set H2 min_days.value = 9")


async def test_invalid_edits_are_refused_and_the_active_version_stays(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    reply = await say(admin, "/protocol set hamstring H3 exit_criteria[H3e].threshold 11")
    assert "Not accepted; the active version is unchanged." in reply
    assert "threshold 11 out of range" in reply
    assert "no such stage" in await say(admin, "/protocol set hamstring H9 min_days.value 2")
    await admin.send_document("broken.yaml", b"name: hamstring\nstages: [\n")
    [answer] = await admin.wait_reply()
    assert "Not accepted" in (answer.text or "") and "line" in (answer.text or "")
    assert versions(w) == [(1, True, "seeded from protocols/")]
    assert len(w.audit("protocol_edit_refused")) == 3


async def test_uploaded_file_is_validated_diffed_and_published_on_confirm(
    world: WorldFactory,
) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    with session_scope(w.engine, read_only=True) as session:
        text = session.exec(
            select(ProtocolVersion.text).where(ProtocolVersion.name == "hamstring")
        ).first()
    assert text is not None
    edited = text.replace(
        'min_days: {value: 4, evidence: U, source: "Reference §2.2 H3"}',
        'min_days: {value: 5, evidence: U, source: "Reference §2.2 H3"}',
    )
    assert edited != text
    await admin.send_document("hamstring.yaml", edited.encode())
    [offer] = await admin.wait_reply()
    assert "upload of hamstring.yaml" in (offer.text or "")
    assert "+    value: 5" in (offer.text or "")
    await admin.press("🗑 Discard")
    await admin.wait_until(lambda ms: any("discarded" in (m.text or "") for m in ms))
    assert len(w.audit("protocol_draft_discarded")) == 1
    assert [v for v, _a, _n in versions(w)] == [1]
    await admin.send_document("hamstring.yaml", edited.encode())
    await admin.wait_reply()
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("v2 is published" in (m.text or "") for m in ms))
    with session_scope(w.engine, read_only=True) as session:
        active = session.exec(
            select(ProtocolVersion).where(ProtocolVersion.active == True)  # noqa: E712
        ).all()
        assert [a.text for a in active if a.name == "hamstring"] == [edited]


async def test_clinician_cannot_publish_with_an_admins_button(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    offer = admin.last_bot_message
    intruder = w.sandbox.user(4004, "Eve")
    data = offer.find_button("✅ Publish")
    assert data is not None
    from tests.clinician.test_clinician_flow import press_raw

    assert await press_raw(w, intruder, offer, data["callback_data"]) == REFUSAL_TEXT
    assert [v for v, _a, _n in versions(w)] == [1]


async def test_a_changed_display_text_asks_for_review_in_the_other_languages(
    world: WorldFactory,
) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    assert "to review" not in await say(admin, "/protocols")

    draft = await say(admin, "/protocol set hamstring H3 goal Build volume, then intensity")
    assert "+  goal: Build volume, then intensity" in draft or "Build volume" in draft
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))

    listing = await say(admin, "/protocols")
    assert "hamstring: active v2" in listing
    assert "1 changed text to review in: de, es, fr, pt" in listing
    assert "hamstring H3: stage goal: “Build volume, then intensity” (es, pt, fr, de)" in listing
    assert "calf: active v1, 0 athletes" in listing  # only the edited protocol asks

    # A number is not a display text: nothing new to review.
    await say(admin, "/protocol set hamstring H3 min_days.value 5")
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("v3 is published" in (m.text or "") for m in ms))
    assert "1 changed text to review" in await say(admin, "/protocols")

    # Back to the shipped text, which the catalogues carry (`make catalogues`): nothing to review.
    await say(admin, "/protocol rollback hamstring 1")
    await admin.press("✅ Confirm rollback")
    await admin.wait_until(lambda ms: any("is published again" in (m.text or "") for m in ms))
    assert "to review" not in await say(admin, "/protocols")


async def test_protocol_without_a_sub_command_shows_the_usage(world: WorldFactory) -> None:
    w = await world()
    usage = await say(w.sandbox.user(ADMIN, "Ada"), "/protocol")
    assert usage.startswith("Protocol commands:") and "/protocol rollback NAME VERSION" in usage


async def test_diff_compares_the_active_version_with_the_packaged_file_or_a_version(
    world: WorldFactory,
) -> None:
    """The start-up log sends an admin to /protocol diff when the packaged protocol differs
    from the version they published: it shows that difference, and one to any version."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    same = await say(admin, "/protocol diff hamstring")
    assert "hamstring v1 (active) is the same as the packaged file" in same
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))
    shown = await say(admin, "/protocol diff hamstring")
    assert "v2 (active) against the packaged file" in shown
    assert "-    value: 8" in shown and "+    value: 4" in shown, shown
    assert "+    value: 4" in await say(admin, "/protocol diff hamstring v1")
    assert "has no version 7" in await say(admin, "/protocol diff hamstring 7")
    assert "has no version 0." in await say(admin, "/protocol diff hamstring 00")
    assert "No protocol named “sprints”" in await say(admin, "/protocol diff sprints")
    assert "No stage “H9”" in await say(admin, "/protocol show hamstring H9")
    assert "Send /protocol diff NAME" in await say(admin, "/protocol diff hamstring latest")
    assert [
        r.detail["against"] for r in w.audit("view") if r.detail["what"] == "protocol_diff"
    ] == [
        "packaged",
        "packaged",
        "v1",
    ]


async def test_diff_of_a_protocol_without_a_packaged_file_asks_for_a_version(
    world: WorldFactory,
) -> None:
    """A protocol that only exists as stored versions (an upload under a new name) is not
    "unknown": the admin is told to name a version, and a broken version is named."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    with session_scope(w.engine) as session:
        text = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")
        publish_protocol_version(
            session, name="sprints", text="rules: [", author_id=None, now=w.clock.now()
        )
        publish_protocol_version(
            session, name="sprints", text=text, author_id=None, now=w.clock.now()
        )
    assert "sprints has no packaged file" in await say(admin, "/protocol diff sprints")
    broken = await say(admin, "/protocol diff sprints 1")
    assert broken.startswith("Cannot compare: sprints v1:"), broken
