"""/baseline once the programme has started, through the sandbox on SQLite and PostgreSQL: a
change of the pre-injury bests is audited and reaches the linked clinician as a card (a lower
Vmax makes the speed criteria easier to meet); a value typed again as it was is no change; a
typo that contradicts a kept split, or a top speed too slow to be a sprint best, is refused
with nothing stored; values typed after the command are the answer; and /status's wording
names a missing pre-injury best as what holds a speed criterion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import col, select

from bot.services import texts
from bot.store.models import AuditLog, Baseline, Outbox
from bot.store.repo import latest_baseline
from tests.athlete.both.test_pain_followup import set_stage
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.athlete.test_session import s_items

WorldFactory = Callable[[], Awaitable[World]]
BESTS = "vmax 9.0 10m 1.80 30m 4.05"
TOLD = "Your clinician has been told about this change."
NEEDS_BEST = "(needs your pre-injury best: send /baseline)"


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _linked(w: World, baseline: str = BESTS) -> Phone:
    """Alex, linked to Dr Kim, with these pre-injury bests from onboarding."""
    w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"), baseline=baseline)
    return alex


def _bests(w: World) -> dict[str, float]:
    person = w.person(1001)
    assert person is not None
    stored = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    return dict(stored.model_dump(exclude_none=True)) if stored is not None else {}


def _baseline_rows(w: World) -> int:
    return len(w.read(lambda s: s.exec(select(Baseline)).all()))


def _audited(w: World) -> list[AuditLog]:
    return list(
        w.read(
            lambda s: s.exec(
                select(AuditLog)
                .where(AuditLog.action == "change_baseline")
                .order_by(col(AuditLog.id))
            ).all()
        )
    )


def _to_clinician(w: World) -> list[Outbox]:
    return list(
        w.read(
            lambda s: s.exec(
                select(Outbox).where(Outbox.chat_id == CLINICIAN_ID).order_by(col(Outbox.id))
            ).all()
        )
    )


async def test_a_lower_top_speed_mid_programme_is_audited_and_the_clinician_told(
    world: WorldFactory,
) -> None:
    """Stage 6 (H5), Vmax 9.0: "/baseline" → "vmax 8.8" lowered the bar for "95 % of your top
    speed" silently. Now the clinician gets a card at once with the old and new value and a
    warning, the change is audited, and the athlete reads that their clinician knows."""
    w = await world()
    alex = await _linked(w)
    set_stage(w, "H5")
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    heard = len(kim.bot_messages)
    cards = len(_to_clinician(w))
    await alex.say("/baseline")
    said = _text(await alex.say("vmax 8.8"))
    assert said.startswith("Baseline saved. Changed:"), said
    assert "top speed: 8.8 m/s (was 9 m/s)" in said, said
    assert said.endswith(TOLD), said
    assert _bests(w) == {"vmax_ms": 8.8, "split_10m_s": 1.8, "split_30m_s": 4.05}
    # Queued in this update's transaction, then delivered to the clinician.
    assert len(_to_clinician(w)) == cards + 1
    await w.deliver()
    card = kim.bot_messages[heard:]
    assert len(card) == 1, kim.format_transcript()
    assert (card[0].text or "").splitlines() == [
        "✏️ Alex changed their pre-injury bests:",
        "• Vmax: 9 m/s → 8.8 m/s",
        "⚠️ A lower Vmax or slower splits make the speed criteria easier to meet.",
    ]
    person = w.person(1001)
    assert person is not None
    [entry] = _audited(w)
    assert (entry.actor_id, entry.athlete_id) == (person.id, person.id)
    assert entry.detail == {"old": {"vmax_ms": 9.0}, "new": {"vmax_ms": 8.8}, "stage": "H5"}
    assert entry.at.replace(tzinfo=dt.UTC) == w.clock.now()


async def test_a_value_typed_again_as_it_was_is_no_change(world: WorldFactory) -> None:
    w = await world()
    alex = await _linked(w)
    rows, cards = _baseline_rows(w), len(_to_clinician(w))
    said = _text(await alex.say("/baseline vmax 9 10m 1.80"))
    assert said == str(texts.BASELINE_SAME), said
    assert (_baseline_rows(w), len(_to_clinician(w)), _audited(w)) == (rows, cards, [])
    # Part retyped, part new: only the new value is a change; the same one is kept.
    said = _text(await alex.say("/baseline vmax 9 10m 1.75"))
    assert "• 10 m split: 1.75 s (was 1.8 s)" in said, said
    kept = said.split("Kept as before:", 1)[1]
    assert "top speed: 9 m/s" in kept and TOLD in said, said
    await w.deliver()
    card = w.sandbox.user(CLINICIAN_ID, "Kim").last_bot_message.text or ""
    # A faster split makes nothing easier: no warning, and no Vmax line.
    assert card.splitlines() == [
        "✏️ Alex changed their pre-injury bests:",
        "• 10 m split: 1.8 s → 1.75 s",
    ]
    assert [e.detail["new"] for e in _audited(w)] == [{"split_10m_s": 1.75}]


async def test_without_a_clinician_the_change_is_audited_and_nobody_is_mentioned(
    world: WorldFactory,
) -> None:
    w = await world()
    alex = w.phone(1001, "Alex")
    await alex.onboard(baseline=BESTS)
    said = _text(await alex.say("/baseline vmax 8.8"))
    assert said.startswith("Baseline saved. Changed:") and "clinician" not in said, said
    assert [e.detail["new"] for e in _audited(w)] == [{"vmax_ms": 8.8}]


async def test_a_typo_against_a_kept_split_is_refused_and_nothing_is_stored(
    world: WorldFactory,
) -> None:
    """Saved 10 m 1.80 s and 30 m 4.05 s: "10m 4.2" stored a 10 m split slower than the 30 m
    one ("Changed: 10 m split: 4.2 s"). The merged values are checked now."""
    w = await world()
    alex = await _linked(w)
    rows, cards = _baseline_rows(w), len(_to_clinician(w))
    await alex.say("/baseline")
    said = _text(await alex.say("10m 4.2"))
    assert said.startswith("Nothing was changed:"), said
    assert (
        "The 10 m split you typed (4.2 s) should be shorter than your saved 30 m split "
        "(4.05 s). If that one is wrong too, type both." in said
    ), said
    assert "Baseline saved" not in said and said.endswith(
        "Send /baseline again with the values after it, e.g. /baseline 10m 1.78 30m 4.05"
    ), said
    said = _text(await alex.say("/baseline 20m 4.5"))
    assert (
        "The 20 m split you typed (4.5 s) should be shorter than your saved 30 m split "
        "(4.05 s)." in said
    ), said
    said = _text(await alex.say("/baseline vmax 0.5"))
    assert said.startswith("Nothing was changed:"), said
    assert "top speed 0.5 m/s looks wrong" in said
    assert "expected at least 4 m/s" in said, said
    assert _bests(w) == {"vmax_ms": 9.0, "split_10m_s": 1.8, "split_30m_s": 4.05}
    assert (_baseline_rows(w), len(_to_clinician(w)), _audited(w)) == (rows, cards, [])
    # The right values go through at once.
    said = _text(await alex.say("/baseline 10m 1.78 30m 4.02"))
    assert said.startswith("Baseline saved. Changed:"), said
    assert _bests(w) == {"vmax_ms": 9.0, "split_10m_s": 1.78, "split_30m_s": 4.02}


async def test_values_typed_after_the_command_are_the_answer(world: WorldFactory) -> None:
    """ "/baseline vmax 8.5" dropped the values and asked for them again."""
    w = await world()
    alex = w.phone(1001, "Alex")
    await alex.onboard(baseline="")
    replies = await alex.say("/baseline vmax 8.5 10m 1.82")
    said = _text(replies)
    assert said.startswith("Baseline saved. Changed:"), said
    assert "Type the pre-injury best values" not in said, said
    assert _bests(w) == {"vmax_ms": 8.5, "split_10m_s": 1.82}
    # Values that cannot be used: said why, then the question, as at its prompt.
    replies = await alex.say("/baseline vmax 8,7 10m")
    said = _text(replies)
    assert "'10m' needs a number after it" in said, said
    assert "Type the pre-injury best values" in (replies[-1].text or ""), said
    said = _text(await alex.say("vmax 8.7"))
    assert said.startswith("Baseline saved. Changed:"), said
    assert _bests(w)["vmax_ms"] == 8.7


async def test_a_missing_pre_injury_best_is_named_as_what_holds_a_speed_criterion(
    world: WorldFactory,
) -> None:
    """No baseline; at stage 6 the athlete reported vmax 8.8 and 10 m 1.85: the speed
    criteria read "(not reported yet)". With what the athlete has on file, they read that
    the pre-injury best is needed, and how to give it."""
    w = await world()
    alex = await _linked(w, baseline="")
    set_stage(w, "H5")
    await alex.morning()
    await s_items(alex, pain="0")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.say("vmax 8.8 10m 1.85")
    await alex.tap("Yes, save")
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC))  # the next morning in Berlin
    lines = _text(await alex.say("/status")).splitlines()
    speed = [line for line in lines if "top speed, as % of your pre-injury" in line]
    splits = [line for line in lines if line.startswith("⬜ sprint times")]
    assert speed and all(line.endswith(NEEDS_BEST) for line in speed), lines
    assert splits and all(line.endswith(NEEDS_BEST) for line in splits), lines
    # What was not reported still reads so.
    assert any("hop distance" in line and "(not reported yet)" in line for line in lines)
