"""Onboarding an athlete through the bot in any language: the buttons are pressed by their
labels in the athlete's language (read from the catalogues, as the demo does)."""

from __future__ import annotations

from typing import Any

from bot.demo.words import DemoWords


async def onboard_in(
    phone: Any, lang: str, baseline: str | None = None, *, up_to_baseline: bool = False
) -> None:
    """Take ``phone`` (a tests.athlete Phone) through onboarding without an invitation, in
    ``lang``: consent, a left hamstring strain yesterday, rugby, ``baseline`` typed (else
    skipped), Berlin, 07:30; with ``up_to_baseline``, stop where the baseline is asked."""
    words = DemoWords(lang)

    async def tap(label: str) -> None:
        offered = [text for m in phone.user.bot_messages for text in m.button_labels]
        await phone.tap(words.label(label, offered))

    await phone.say("/start")
    # No invitation: consent to store the data only (sharing is asked when a clinician invited).
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await tap(label)
    await tap("Sprinting / running fast")
    await tap("Rugby")
    if up_to_baseline:
        return
    if baseline:
        await phone.say(baseline)  # taken, the next question comes
    else:
        await tap("Skip")
    for label in ("Europe", "Berlin", "07:30", "✅ Confirm"):
        await tap(label)
