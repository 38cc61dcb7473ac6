"""Sprint metrics and session minutes typed to the bot after /done, through the sandbox: what
used to be stored wrong is refused with what is expected (and then stored right), in English
and in the comma languages."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.demo.words import DemoWords
from bot.store.models import SessionReportRecord
from tests.athlete.conftest import Phone, World
from tests.athlete.test_session import s_items, step_by_step
from tests.i18n.onboarding import onboard_in

WorldFactory = Callable[[], Awaitable[World]]


def _report(w: World) -> dict[str, Any]:
    answers: dict[str, Any] = w.read(lambda s: s.exec(select(SessionReportRecord)).one()).answers
    return answers


async def _said(phone: Phone, typed: str) -> str:
    return "\n".join(m.text or "" for m in await phone.say(typed))


async def test_a_split_typed_with_its_name_at_the_top_speed_prompt_is_refused(
    world: WorldFactory,
) -> None:
    """ "10m 1.82" at the top-speed prompt was saved as a top speed of 1.82 m/s."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    said = await _said(alex, "10m 1.82")
    assert "'10m' is another measure (10 m split)" in said, said
    assert "top speed as a number in m/s" in said
    assert "Top speed (m/s)" in alex.last  # asked again
    await alex.say("8.9")
    assert "10 m split (s)" in alex.last
    await alex.say("10m 1.82")  # its own name is fine
    await alex.tap("That's all")
    await alex.tap("Yes, save")
    assert _report(w)["metrics"] == {"vmax_ms": 8.9, "split_10m_s": 1.82}


async def test_a_20_m_split_faster_than_the_10_m_typed_step_by_step_is_refused(
    world: WorldFactory,
) -> None:
    """Step by step, 10 m in 3.1 s and 20 m in 2.9 s were saved; in one line they are not."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    await alex.tap("Skip")  # top speed
    await alex.say("3.1")
    said = await _said(alex, "2.9")
    assert (
        "The 10 m split (3.1 s) should be shorter than the 20 m split (2.9 s): please check both."
        in said
    ), said
    assert "20 m split (s)" in alex.last  # asked again
    await alex.say("4.4")
    await alex.tap("That's all")
    await alex.tap("Yes, save")
    assert _report(w)["metrics"] == {"split_10m_s": 3.1, "split_20m_s": 4.4}


async def test_a_nordic_force_with_a_thousands_separator_is_asked_again(
    world: WorldFactory,
) -> None:
    """ "1,200" for the Nordic force was saved as 1.2 N."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    for _ in range(6):  # top speed, 10/20/30 m, high-velocity reps, strength
        await alex.tap("Skip")
    assert "Nordic" in alex.last, alex.last
    said = await _said(alex, "1,200")
    assert "expected at least 50 N" in said and "If you meant 1200 N" in said, said
    await alex.say("1200")
    await alex.tap("That's all")
    await alex.tap("Yes, save")
    assert _report(w)["metrics"] == {"nordic_n": 1200}


async def test_a_session_length_typed_in_hours_is_saved_in_minutes(world: WorldFactory) -> None:
    """ "1 hour" was saved as 1 minute."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await alex.say("/done")
    for label in ("All of it", "0", "No", "None of these ✅", "1", "No", "8", "4"):
        await alex.tap(label)
    assert "minutes" in alex.last
    said = await _said(alex, "45 sec")
    assert "'sec' is not a unit I can use here (expected min or h)" in said, said
    await alex.say("1 hour")
    await alex.tap("Skip")  # pain 1 h after
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("No numbers today")
    assert _report(w)["minutes"] == 60


async def test_a_unicode_minus_is_told_values_cannot_be_negative(world: WorldFactory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await s_items(alex, pain="0")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    for typed in ("vmax \u22128.7", "vmax \u20138.7"):
        said = await _said(alex, typed)
        assert "Values cannot be negative" in said and "I don't know" not in said, said


class _Athlete:
    """A phone whose buttons are pressed by their English labels, shown in ``lang``."""

    def __init__(self, phone: Phone, lang: str) -> None:
        self.phone, self.words = phone, DemoWords(lang)

    async def tap(self, label: str) -> None:
        offered = [t for m in self.phone.user.bot_messages for t in m.button_labels]
        await self.phone.tap(self.words.label(label, offered))

    async def to_metrics(self) -> None:
        await self.phone.say("/done")
        for label in ("All of it", "0", "No", "None of these ✅"):
            await self.tap(label)
        for label in ("1", "No", "8", "4", "45", "Skip"):
            await self.tap(label)
        while not self.words.says(self.phone.last, "Any numbers from today"):
            await self.tap("Not done")


async def _athlete_in(world: WorldFactory, lang: str) -> tuple[World, _Athlete]:
    w = await world()
    w.sandbox.user(1001, "Ana", language_code=lang)
    ana = _Athlete(w.phone(1001, "Ana"), lang)
    await onboard_in(ana.phone, lang)
    await ana.to_metrics()
    return w, ana


@pytest.mark.parametrize(
    ("lang", "unit"),
    [("es", "seg"), ("pt", "segundos"), ("fr", "secondes"), ("de", "Sek."), ("de", "Sekunden")],
)
async def test_seconds_typed_in_the_athletes_language_are_read(
    world: WorldFactory, lang: str, unit: str
) -> None:
    """ "1,82 seg" was refused with an English list of unit words."""
    w, ana = await _athlete_in(world, lang)
    await ana.tap("Step by step")
    await ana.tap("Skip")  # top speed
    said = await _said(ana.phone, f"1,82 {unit}")
    assert ana.words.says(said, "20 m split") and not ana.words.says(said, "10 m split"), said
    await ana.tap("That's all")
    await ana.tap("Yes, save")
    assert _report(w)["metrics"] == {"split_10m_s": 1.82}


@pytest.mark.parametrize("lang", ["es", "pt", "fr", "de"])
async def test_a_refused_unit_is_explained_with_unit_symbols_only(
    world: WorldFactory, lang: str
) -> None:
    _, ana = await _athlete_in(world, lang)
    await ana.tap("Step by step")
    await ana.tap("Skip")  # top speed
    said = await _said(ana.phone, "1,82 min")
    assert re.search(r"\bs \w+ ms\)", said), said  # "(erwartet: s oder ms)"
    assert "second" not in said and "secs" not in said, said


@pytest.mark.parametrize("lang", ["es", "pt", "fr", "de"])
async def test_a_guessed_name_is_asked_back_with_a_decimal_comma(
    world: WorldFactory, lang: str
) -> None:
    """ "vmx 8,7" was asked back as "vmax 8.7" in the comma languages."""
    _, ana = await _athlete_in(world, lang)
    said = await _said(ana.phone, "vmx 8,7")
    assert "vmax 8,7" in said and "vmax 8.7" not in said, said
