"""Onboarding through the sandbox: consent recorded, injury, baseline, zone, first stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.store.db import session_scope
from bot.store.repo import create_invite, create_person, get_active_programme, latest_injury
from bot.support.formats import format_long_date
from tests.athlete.conftest import Phone, World


async def test_invite_link_links_the_clinician_and_declined_consent_keeps_nothing(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = w.phone(1002, "Sam")
    replies = await sam.say(f"/start {code}")
    assert any("Dr Kim" in (m.text or "") for m in replies)
    await sam.tap("I agree")
    await sam.tap("I don't agree")
    assert "have not stored anything" in sam.last
    assert w.person(1002) is None  # consent refused: the person row is gone too
    await sam.onboard(code=code)
    assert any("linked with Dr Kim" in (m.text or "") for m in sam.user.bot_messages)
    person = w.person(1002)
    assert person is not None
    from bot.store.repo import clinicians_of

    linked = w.read(lambda s: [c.display_name for c in clinicians_of(s, athlete_id=person.id)])
    assert linked == ["Dr Kim"]


async def test_bad_onboarding_answers_are_corrected_and_the_question_repeated(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1003)
    await alex.say("/start")
    replies = await alex.say("sure, whatever")
    assert replies[0].text == "Please answer with one of the buttons below."
    assert "stores this health data" in (replies[1].text or "") and replies[1].buttons
    await alex.tap("I agree")  # no clinician invited them: sharing is not asked about
    await alex.tap("Calf")
    muscle = alex.user.last_bot_message
    assert "Soleus (deep)" in muscle.button_labels
    await alex.tap("Soleus (deep)")
    await alex.tap("Right")
    await alex.tap("2")
    replies = await alex.say("2099-01-01")
    assert "in the future" in (replies[0].text or "")
    replies = await alex.say("28.2.2026")
    assert "How did it happen" in (replies[-1].text or "")
    await alex.user.send_sticker()
    replies = await alex.user.wait_reply()
    assert "only read text and buttons" in (replies[0].text or "")
    await alex.tap("Not sure")
    await alex.say("Ultimate frisbee")
    replies = await alex.say("vmax 60")  # neither m/s nor km/h of a human sprinter
    assert "km/h" in (replies[0].text or "")
    await alex.say("vmax 31 km/h 30m 4.2")
    await alex.user.send_location(48.14, 11.58)  # Munich
    replies = await alex.user.wait_reply()
    assert any("Berlin" in (m.text or "") for m in replies)
    replies = await alex.say("3:00")
    assert "01:00–03:59" in (replies[0].text or "")
    await alex.say("6:45")
    summary = alex.last
    assert "right calf (soleus)" in summary and "28 February 2026" in summary
    assert "Ultimate frisbee" in summary and "Europe/Berlin" in summary and "06:45" in summary
    await alex.tap("✏️ Start again")
    assert "Which muscle group" in alex.last


async def test_the_step_counter_keeps_its_total_through_the_time_zone_steps(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1004)
    await alex.say("/start")
    assert alex.last.startswith("(1/13) ")  # no invitation: no question about sharing
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    await alex.tap("Sprinting / running fast")
    await alex.tap("Rugby")
    replies = await alex.tap("Skip")
    assert "(10/13) " in (replies[-1].text or "")  # the region
    replies = await alex.tap("Europe")
    assert "(11/13) " in (replies[-1].text or "")  # the city, counted from the start
    # The tapped region is echoed as a region: "Europe" is not a time zone.
    assert "✓ Region: Europe" in (replies[-1].text or "")
    assert "Time zone: Europe" not in (replies[-1].text or "")
    replies = await alex.tap("Berlin")
    assert "(12/13) " in (replies[-1].text or "")


async def _to_summary(sam: Phone, injured: str, *, typed: bool, city: tuple[str, str]) -> str:
    """Answer onboarding up to the summary (the injury date ``injured``, tapped or typed; the
    time zone ``city``: region, city) and return the summary."""
    for label in ("Hamstring", "Don't know", "Left", "1"):
        await sam.tap(label)
    await (sam.say(injured) if typed else sam.tap(injured))
    for label in ("Sprinting / running fast", "Rugby", "Skip", *city, "07:30"):
        await sam.tap(label)
    return sam.last


async def _consented(w: World, user_id: int) -> Phone:
    """A newcomer who sent /start and agreed, now at the first injury question."""
    sam = w.phone(user_id, "Sam")
    await sam.say("/start")
    await sam.tap("I agree")
    return sam


def _injury_date(w: World, user_id: int) -> dt.date:
    person = w.person(user_id)
    assert person is not None
    return w.read(lambda s: latest_injury(s, athlete_id=person.id)).injury_date


LOS_ANGELES = ("Americas", "Los Angeles")


async def test_today_at_onboarding_is_the_athlete_s_own_today(
    world: Callable[[], Awaitable[World]],
) -> None:
    """At 07:00 UTC on 2 March it is still 1 March, 23:00 in Los Angeles: an athlete there who
    taps "Today" was injured on 1 March, the day their programme starts."""
    w = await world()
    assert w.clock.now() == dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
    sam = await _consented(w, 1010)
    summary = await _to_summary(sam, "Today", typed=False, city=LOS_ANGELES)
    assert "1 March 2026" in summary, summary
    await sam.tap("✅ Confirm")
    person = w.person(1010)
    assert person is not None and person.timezone == "America/Los_Angeles"
    programme = w.read(lambda s: get_active_programme(s, athlete_id=person.id))
    assert programme.start_date == dt.date(2026, 3, 1)
    assert _injury_date(w, 1010) == dt.date(2026, 3, 1)  # was 2 March: after the start


async def test_a_typed_day_back_is_the_athlete_s_own_day(
    world: Callable[[], Awaitable[World]],
) -> None:
    """ "5 days ago" and "yesterday" typed at 23:00 on 1 March in Los Angeles (07:00 UTC on
    2 March) are 24 and 28 February: the summary says so, and that is the date recorded."""
    w = await world()
    sam = await _consented(w, 1011)
    summary = await _to_summary(sam, "5 days ago", typed=True, city=LOS_ANGELES)
    assert "24 February 2026" in summary, summary
    await sam.tap("✏️ Start again")
    summary = await _to_summary(sam, "yesterday", typed=True, city=LOS_ANGELES)
    assert "28 February 2026" in summary, summary
    await sam.tap("✅ Confirm")
    assert _injury_date(w, 1011) == dt.date(2026, 2, 28)


async def test_a_typed_date_after_the_athlete_s_today_is_asked_again(
    world: Callable[[], Awaitable[World]],
) -> None:
    """At 23:00 on 1 March in Los Angeles, "2.3.2026" is accepted before the zone is known
    (it is 2 March somewhere); once Los Angeles is chosen, the athlete is told that is after
    their today and asked again, and the second answer is what is recorded."""
    w = await world()
    sam = await _consented(w, 1013)
    asked = await _to_summary(sam, "2.3.2026", typed=True, city=LOS_ANGELES)
    assert "2 March 2026" in asked and "it is only 1 March 2026" in asked, asked
    replies = await sam.say("3.3.2026")  # still after their today: refused, asked again
    assert "in the future" in (replies[0].text or ""), sam.user.format_transcript()
    await sam.tap("Yesterday")
    assert "28 February 2026" in sam.last, sam.user.format_transcript()  # the summary
    w.clock.advance(dt.timedelta(hours=1, minutes=30))  # confirmed after midnight there
    await sam.tap("✅ Confirm")
    assert _injury_date(w, 1013) == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("utc", "typed", "recorded"),
    [
        # 20:00 on 2 March in Auckland: a date typed as a date is kept as typed.
        (dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC), "27.2.2026", dt.date(2026, 2, 27)),
        # 01:00 on 2 March in Auckland, still 1 March in UTC: the athlete's own date is not
        # "in the future", and without a year it is this year's, not last year's.
        (dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), "2.3.2026", dt.date(2026, 3, 2)),
        (dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), "2.3", dt.date(2026, 3, 2)),
    ],
)
async def test_a_typed_date_east_of_utc_is_the_athlete_s_own(
    world: Callable[[], Awaitable[World]], utc: dt.datetime, typed: str, recorded: dt.date
) -> None:
    w = await world()
    w.clock.set(utc)
    sam = await _consented(w, 1014)
    summary = await _to_summary(sam, typed, typed=True, city=("Oceania", "Auckland"))
    assert format_long_date(recorded, "en") in summary, sam.user.format_transcript()
    await sam.tap("✅ Confirm")
    assert _injury_date(w, 1014) == recorded


async def test_another_clinicians_link_mid_onboarding_asks_consent_again_for_them(
    world: Callable[[], Awaitable[World]],
) -> None:
    """Sam agreed to share with Dr Kim, who invited them, then opened Dr Lee's link before
    finishing: the consent was for Dr Kim, so it is asked again before Dr Lee sees anything;
    declining it keeps nothing."""
    w = await world()
    kim = w.clinician_invite("Dr Kim")
    with session_scope(w.engine) as session:
        lee = create_person(
            session, role="clinician", telegram_user_id=6001, chat_id=6001,
            display_name="Dr Lee", now=w.clock.now(),
        )  # fmt: skip
        assert lee.id is not None
        lee_code = create_invite(
            session, kind="athlete", clinician_id=lee.id, created_by=lee.id,
            now=w.clock.now(), ttl=dt.timedelta(days=7),
        ).code  # fmt: skip
    sam = w.phone(1002, "Sam")
    await sam.say(f"/start {kim}")
    await sam.tap("I agree")
    await sam.tap("I agree")  # to share with Dr Kim
    replies = await sam.say(f"/start {lee_code}")
    assert any("Dr Lee" in (m.text or "") for m in replies)
    assert "the clinician who invited you sees your answers" in (replies[-1].text or "")
    await sam.tap("I don't agree")
    assert "have not stored anything" in sam.last
    assert w.person(1002) is None


async def test_the_confirmed_summary_is_echoed_without_a_second_tick(
    world: Callable[[], Awaitable[World]],
) -> None:
    """The summary stays in the chat with the answer under it: "✓ Confirm", not the button's
    own icon after the tick ("✓ ✅ Confirm")."""
    w = await world()
    sam = await _consented(w, 1011)
    await _to_summary(sam, "Yesterday", typed=False, city=("Europe", "Berlin"))
    replies = await sam.tap("✅ Confirm")
    echoed = replies[0].text or ""
    assert "Please check your details" in echoed
    assert echoed.rstrip().endswith("✓ Confirm"), echoed
    assert "✓ ✅" not in echoed
