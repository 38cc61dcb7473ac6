"""An admin's protocol, and stored rows its later versions no longer match, reach the
clinician's screens in plain words: no stage id on its own, rule id, internal key or stored
protocol name on the alert card, the /athlete card, the PDF, the chart or the digest, and
nothing fails.

The club's protocol (``club_hamstring``, uploaded as an admin does) has no title and a
stage of its own, H8, whose name is only its id, which needs a sign-off but has no sign-off
note, with an exit criterion and a regression trigger of its own (``club_x1``,
``club_t1``). Each test names the stored data it attacks with.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.delivery.sender import OutboxSender
from bot.handlers.context import signer_for
from bot.reports.chart import build_chart_spec
from bot.reports.from_store import progress_data_for
from bot.sandbox.state import TranscriptMessage
from bot.services import protocol_admin as pa
from bot.services.clinician.escalation import notify_new_alerts
from bot.services.digest import run_digest
from bot.store import repo, standing
from bot.store.db import session_scope
from bot.store.models import AlertRecord, Programme, ProtocolVersion
from bot.support.i18n import use_language
from engine.models import Alert, Injury, Metrics, MorningCheckIn, SessionReport
from tests.reports_bot.conftest import World, WorldFactory, pdf_text

CLUB = "club_hamstring"
ANNA, LEE = 3001, 2001
# One clinical note of 3,000 characters.
NOTE = " ".join(f"note{i:04d}" for i in range(333)) + " end"
# What must never reach a screen: the protocol's stored name, the ids of its own criterion,
# trigger and rules, the engine's "(clearance)" stand-in, a stage named by its id alone.
INTERNAL = (
    CLUB,
    "club_x1",
    "club_t1",
    "club.rule9",
    "gate.8",
    "escalate.",
    "no_progress",
    "(clearance)",
    "H8 · H8",
    "h8",
)
LONE_STAGE_ID = re.compile(r"(?<![\w–'-])[HC][0-9]{1,2}(?![\w–-])(?! ·)")


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    """Parsed versions are cached per process by (name, version): each test's database has
    its own "club_hamstring v2", so none may be read from another test's."""
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()


def internal_words(text: str, *, codes_alone: bool = True) -> list[str]:
    """What of :data:`INTERNAL` (and, with ``codes_alone``, a stage id on its own) the text
    shows."""
    flat = " ".join(text.split())
    found = [word for word in INTERNAL if word in flat]
    return found + (LONE_STAGE_ID.findall(flat) if codes_alone else [])


def club_text(*, h8: bool = True, title: str | None = None) -> str:
    """The packaged hamstring protocol as a club's own: another name, no title, and (``h8``)
    a stage H8 after H1 named by its id, with a sign-off and no note, and a criterion and a
    trigger of its own."""
    shipped = pa.shipped_file("hamstring")
    assert shipped is not None
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["name"] = CLUB
    data.pop("title", None)
    if title is not None:
        data["title"] = title
    if h8:
        stage = copy.deepcopy(data["stages"][1])
        criterion = dict(stage["exit_criteria"][0], id="club_x1", text="Club hop test done")
        stage.update(
            id="H8",
            name="H8",
            signoff="required",
            exit_criteria=[criterion],
        )
        stage.pop("signoff_note", None)
        triggers = stage.get("regression_triggers") or []
        if triggers:
            stage["regression_triggers"] = [dict(triggers[0], id="club_t1")]
        data["stages"].insert(2, stage)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def publish(w: World, text: str) -> int:
    """Publish ``text`` as an admin's upload does; return its version."""
    now = w.clock.now()
    with session_scope(w.engine) as session:
        pa.ensure_seeded(session, "hamstring", now)
        draft = pa.draft_from_upload(session, text, "club.yaml", now)
        return pa.publish(session, draft, None, now).version


def club_athlete(
    w: World, *, version: int, stage: str = "H8", protocol_name: str = CLUB
) -> tuple[int, int]:
    """Store Anna, 6 days into the club's protocol (``version``), moved to ``stage`` by the
    rules three days ago, with check-ins, sessions, a step back whose trigger is the club's,
    a 3,000-character note, and Dr Lee linked. Returns (Anna's id, Lee's id)."""
    now = w.clock.now()
    today = now.date()
    start = today - dt.timedelta(days=6)
    with session_scope(w.engine) as session:
        anna = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=ANNA,
            chat_id=ANNA,
            display_name="Anna Moreau",
            now=now - dt.timedelta(days=7),
        )
        assert anna.id is not None
        injury = repo.add_injury(
            session,
            athlete_id=anna.id,
            injury=Injury(
                injury="hamstring", side="left", grade=1, injury_date=start - dt.timedelta(days=2)
            ),
            now=now,
        )
        repo.set_baseline(
            session, athlete_id=anna.id, metrics=Metrics(vmax_ms=9.0, split_10m_s=1.8), now=now
        )
        programme = repo.start_programme(
            session,
            athlete_id=anna.id,
            protocol_name=protocol_name,
            protocol_version=version,
            first_stage="H1",
            start_date=start,
            now=dt.datetime.combine(start, dt.time(8), dt.UTC),
            injury_id=injury.id,
        )
        assert programme.id is not None
        for offset in range(6):
            day = start + dt.timedelta(days=offset)
            at = dt.datetime.combine(day, dt.time(8), dt.UTC)
            run_in = "H1" if offset < 3 else stage
            after = stage if offset == 2 else run_in
            decision = "progress" if offset == 2 else "hold"
            reasons: list[dict[str, Any]] = [
                {"rule": f"{run_in}.club_x1", "text": "Club hop test done: not yet."}
            ]
            if offset == 4:
                # A step back by the club's trigger, which a later version may have deleted.
                decision, after = "step_back", stage
                reasons = [
                    {
                        "rule": "club_t1",
                        "text": "Club hop pain ≥ 3: step back to the previous stage.",
                        "observed": 3,
                    }
                ]
            repo.upsert_morning_checkin(
                session,
                athlete_id=anna.id,
                local_date=day,
                answers=MorningCheckIn(red_flags=[], pain_rest=0, pain_test=offset % 2),
                answered_at=at,
                utc_offset_minutes=0,
            )
            repo.upsert_session_report(
                session,
                athlete_id=anna.id,
                local_date=day,
                answers=SessionReport(
                    completion="full", pain_max=1, metrics=Metrics(vmax_ms=6.0 + 0.1 * offset)
                ),
                answered_at=at + dt.timedelta(hours=8),
                utc_offset_minutes=0,
            )
            repo.record_decision(
                session,
                athlete_id=anna.id,
                local_date=day,
                kind="daily",
                outcome=decision,
                decision={
                    "stage": run_in,
                    "stage_after": after,
                    "decision": decision,
                    "reasons": reasons,
                },
                protocol_name=protocol_name,
                protocol_version=version,
                now=at + dt.timedelta(hours=9),
            )
            if after != run_in:
                repo.move_stage(
                    session,
                    programme_id=programme.id,
                    to_stage=after,
                    now=at + dt.timedelta(hours=9),
                    reason=f"engine: {decision} on {day.isoformat()}",
                )
        lee = repo.create_person(
            session,
            role="clinician",
            telegram_user_id=LEE,
            chat_id=LEE,
            display_name="Dr Lee",
            now=now - dt.timedelta(days=30),
        )
        assert lee.id is not None
        repo.link_athlete(session, athlete_id=anna.id, clinician_id=lee.id, now=now)
        repo.add_note(session, athlete_id=anna.id, author_id=lee.id, text=NOTE, now=now)
        repo.record_clinician_action(
            session,
            athlete_id=anna.id,
            clinician_id=lee.id,
            local_date=today,
            kind="hold",
            now=now,
            stage=stage,
            note="hold at the club's stage",
        )
        return anna.id, lee.id


def raise_alerts(w: World, athlete_id: int, stage: str = "H8") -> None:
    """The alerts an admin's protocol and stale rows leave: the sign-off of a stage without a
    note, the club's trigger, no progress, a rule no wording knows stored without a sentence,
    a grade alert naming the protocol by its stored name, a sign-off lapsed on a criterion a
    later version deleted."""
    now = w.clock.now()
    alerts = [
        Alert(
            severity="info",
            rule="gate.8",
            text=f"Stage {stage} criteria met: sign-off needed to move on (clearance).",
        ),
        Alert(
            severity="within_24h",
            rule="club_t1",
            text="Club hop pain ≥ 3: the athlete is moved back a stage; please review.",
        ),
        Alert(
            severity="within_24h",
            rule="escalate.no_progress",
            text=f"No progression for 14 days (stage {stage}): clinician review.",
        ),
        Alert(severity="same_day", rule="club.rule9", text=""),
        Alert(
            severity="info",
            rule="protocol.grade",
            text=f"Grade 3 hamstring injury: the default '{CLUB}' protocol is not meant for it; "
            "please set up a variant with longer minimum stage durations (reference §2.1 / "
            "§3.1).",
        ),
        Alert(
            severity="info",
            rule="gate.8.lapsed",
            text=f"Sign-off for {stage} no longer holds: a result after it did not meet "
            "Deleted club criterion. You will be asked again once the criteria are met.",
        ),
    ]
    with session_scope(w.engine) as session:
        for alert in alerts:
            repo.raise_alert(
                session, athlete_id=athlete_id, alert=alert, now=now, local_date=now.date()
            )


async def alert_cards(w: World, athlete_id: int) -> list[str]:
    """Queue the alert message(s) as the athlete flow does, deliver them; return the texts
    Dr Lee's chat received."""
    w.user(LEE, "Lee")  # Dr Lee has opened the bot's chat
    signer = signer_for(w.services, w.running.application.bot.token)
    with session_scope(w.engine) as session:
        notify_new_alerts(session, athlete_id, w.clock.now(), signer)
    sender = OutboxSender(
        bot=w.running.application.bot,
        engine=w.engine,
        clock=w.clock,
        admin_telegram_ids=w.services.settings.admin_telegram_ids,
    )
    await sender.drain()
    return [m.text or "" for m in w.sandbox.transcript(LEE) if m.sender == "bot" and m.text]


def has_document(messages: list[TranscriptMessage]) -> bool:
    """A wait_until predicate: a document has arrived."""
    return any(m.kind == "document" for m in messages)


async def report_text(w: World) -> str:
    """The PDF Dr Lee gets from /report, as text."""
    lee = w.user(LEE, "Lee")
    await lee.send("/report Anna")
    await lee.wait_until(has_document, timeout=60)
    return " ".join(pdf_text(lee.documents[-1].data).split())


async def athlete_card(w: World, athlete_id: int) -> str:
    """The /athlete card Dr Lee reads."""
    lee = w.user(LEE, "Lee")
    await lee.send(f"/athlete {athlete_id}")
    [card] = await lee.wait_reply(timeout=30)
    return card.text or ""


def chart_texts(w: World, athlete_id: int) -> dict[str, list[str]]:
    """Every text of the progress chart, for the athlete and for a clinician: title,
    subtitle, notes under it, band labels."""
    out: dict[str, list[str]] = {}
    with session_scope(w.engine, read_only=True) as session:
        for audience in ("athlete", "clinician"):
            data = progress_data_for(
                session,
                athlete_id=athlete_id,
                today=w.clock.now().date(),
                audience=audience,
            )
            spec = build_chart_spec(data)
            out[audience] = [
                spec.title,
                spec.subtitle,
                *spec.info,
                *([spec.footnote] if spec.footnote else []),
                *(f"band {b.label}" for b in spec.bands),
                *(f"band {p.label} / {p.short}" for p in data.stages),
            ]
    return out


# --- an admin's own protocol -------------------------------------------------------------------


async def test_a_custom_stage_rule_and_protocol_reach_no_screen_by_their_ids(
    world: WorldFactory,
) -> None:
    w = await world()
    version = publish(w, club_text())
    anna, _lee = club_athlete(w, version=version)
    raise_alerts(w, anna)

    cards = await alert_cards(w, anna)
    assert cards, "no alert card"
    card = cards[-1]
    assert internal_words(card) == [], card
    assert "An alert without details was recorded: please check the athlete." in card, card

    athlete = await athlete_card(w, anna)
    assert internal_words(athlete) == [], athlete
    assert "Stage: H8 · Stage 3" in athlete, athlete
    # The sign-off of a stage without a note asks for it in words, and names the stage.
    assert "H8 · Stage 3 · Sign-off: the criteria are met, your sign-off is needed." in athlete

    pdf = await report_text(w)
    assert internal_words(pdf) == [], [pdf[i - 80 : i + 80] for i in _where(pdf)]
    # The protocol without a title is named by what it is for, never its stored name.
    assert "hamstring return-to-sprint protocol, version" in pdf, pdf[:800]
    assert "An alert without details was recorded: please check the athlete." in pdf, pdf
    assert "the default “hamstring return-to-sprint protocol” protocol" in pdf, pdf

    charts = chart_texts(w, anna)
    assert internal_words(" | ".join(charts["athlete"])) == [], charts["athlete"]
    # The clinician's chart names bands by their codes (its title names the stage in full).
    assert internal_words(" | ".join(charts["clinician"]), codes_alone=False) == [], charts
    assert any("H8 · Stage 3" in text for text in charts["clinician"]), charts["clinician"]


def _where(text: str) -> list[int]:
    """Where in ``text`` something internal shows (for the failure message)."""
    spots = [text.find(word) for word in INTERNAL if word in text]
    return spots + [m.start() for m in LONE_STAGE_ID.finditer(text)]


async def test_a_three_thousand_character_note_is_in_the_pdf_whole(world: WorldFactory) -> None:
    w = await world()
    version = publish(w, club_text())
    club_athlete(w, version=version)
    assert len(NOTE) == 3000
    pdf = await report_text(w)
    # Every word of the note, in order (a row may continue on the next page, under the
    # table's repeated heading): a clinical record is never cut.
    words = re.findall(r"note\d{4}", pdf)
    assert words == NOTE.split()[:-1], (len(words), words[-3:])
    assert "note0332 end" in pdf
    assert "…" not in pdf


# --- no progress: what the clinician reads -----------------------------------------------------


async def test_no_progress_reads_as_a_review_within_24_hours_on_the_card_and_in_the_pdf(
    world: WorldFactory,
) -> None:
    """The reference (§4.4, §5 tier 3) asks for a clinician review within 24 h after 14 days
    without progress: the engine raises it "within 24 h", and the clinician reads that
    deadline beside the line, on the card's headline and in the PDF's severity column."""
    w = await world()
    version = publish(w, club_text())
    anna, _lee = club_athlete(w, version=version, stage="H2")
    now = w.clock.now()
    with session_scope(w.engine) as session:
        repo.raise_alert(
            session,
            athlete_id=anna,
            alert=Alert(
                severity="within_24h",
                rule="escalate.no_progress",
                text="No progression for 14 days (stage H2): clinician review.",
            ),
            now=now,
            local_date=now.date(),
        )
    [card] = await alert_cards(w, anna)
    head, line = card.split("\n")[:2]
    assert head.startswith("🟠 Within 24 h · Anna Moreau"), card
    assert "No progression in H2 · Return to running" in line and "for 14 days" in line, card
    assert "clinician review" in line, card
    pdf = await report_text(w)
    assert re.search(r"Within 24 h No progression in H2 · Return", pdf), pdf


# --- hostile stored data -----------------------------------------------------------------------


async def test_a_stage_removed_by_a_newer_version_while_the_athlete_is_on_it(
    world: WorldFactory,
) -> None:
    """Version 2 drops H8 (published before anyone was on it); Anna's programme is on
    version 2 all the same, at H8, with decisions, moves, a hold and alerts about H8."""
    w = await world()
    publish(w, club_text())
    version = publish(w, club_text(h8=False))
    anna, _lee = club_athlete(w, version=version)
    raise_alerts(w, anna)

    card = (await alert_cards(w, anna))[-1]
    assert internal_words(card) == [], card
    athlete = await athlete_card(w, anna)
    assert internal_words(athlete) == [], athlete
    assert "a stage no longer in the protocol" in athlete, athlete
    pdf = await report_text(w)
    assert internal_words(pdf) == [], [pdf[i - 80 : i + 80] for i in _where(pdf)]
    assert "Current stage a stage no longer in the protocol" in pdf, pdf[:1200]
    charts = chart_texts(w, anna)
    assert internal_words(" | ".join(charts["athlete"])) == [], charts["athlete"]
    # Bands by their codes for the clinician, the stage no longer in the protocol in words.
    clinician = " | ".join(charts["clinician"])
    assert internal_words(clinician, codes_alone=False) == [] and "band H8" not in clinician
    assert "a stage no longer in the protocol" in clinician, clinician


async def test_a_programme_on_a_protocol_no_longer_stored(world: WorldFactory) -> None:
    """Anna's programme names a protocol (``club_old``) of which no version is stored (renamed
    by hand, or its rows deleted): the report, the chart and the cards say so in words."""
    w = await world()
    anna, _lee = club_athlete(w, version=1, protocol_name="club_old")
    raise_alerts(w, anna)
    card = (await alert_cards(w, anna))[-1]
    assert internal_words(card) == [] and "club_old" not in card, card
    athlete = await athlete_card(w, anna)
    assert internal_words(athlete) == [] and "club_old" not in athlete, athlete
    pdf = await report_text(w)
    assert internal_words(pdf) == [] and "club_old" not in pdf, pdf
    assert "hamstring return-to-sprint protocol, version 1" in pdf, pdf[:800]
    charts = chart_texts(w, anna)
    for audience, texts in charts.items():
        joined = " | ".join(texts)
        assert internal_words(joined) == [] and "club_old" not in joined, (audience, texts)
    assert "band Stage / ·" in charts["clinician"], charts["clinician"]


async def test_a_stored_version_that_no_longer_reads_as_a_protocol(world: WorldFactory) -> None:
    """Anna's programme is on a stored version whose text no longer validates (a newer
    schema or floor refuses it): the parse error is no lookup error, and the report failed
    whole. It is made now, the protocol named by what it is for and her stage in words."""
    w = await world()
    anna, _lee = club_athlete(w, version=1, protocol_name="club_broken")
    with session_scope(w.engine) as session:
        session.add(
            ProtocolVersion(
                name="club_broken",
                version=1,
                text=club_text().replace(f"name: {CLUB}", "name: club_broken")[:-200],
                created_at=w.clock.now(),
                active=True,
            )
        )
    raise_alerts(w, anna)
    pdf = await report_text(w)
    assert "hamstring return-to-sprint protocol, version 1" in pdf, pdf[:800]
    assert "Current stage a stage of a protocol that cannot be read" in pdf, pdf[:800]
    assert internal_words(pdf) == [] and "club_broken" not in pdf, pdf
    card = await athlete_card(w, anna)
    assert internal_words(card) == [] and "club_broken" not in card, card


async def test_a_protocol_retitled_by_an_admin_is_named_by_its_new_title(
    world: WorldFactory,
) -> None:
    """Version 2 gives the club's protocol a title; Anna's programme moves to it with the
    publication: her report names the protocol by that title, never by its stored name."""
    w = await world()
    publish(w, club_text())
    club_athlete(w, version=1)
    publish(w, club_text(title="Club sprint return, 2026 edition"))
    with session_scope(w.engine, read_only=True) as session:
        [programme] = session.exec(select(Programme)).all()
        assert programme.protocol_version == 2
    pdf = await report_text(w)
    assert "Club sprint return, 2026 edition, version 2" in pdf, pdf[:800]
    assert internal_words(pdf) == [], [pdf[i - 80 : i + 80] for i in _where(pdf)]


async def test_the_digest_of_a_custom_protocol_shows_no_ids(world: WorldFactory) -> None:
    """The Monday digest lists Anna's open alerts (one stored without a sentence) and her
    stage in words."""
    w = await world()
    version = publish(w, club_text())
    anna, _lee = club_athlete(w, version=version)
    raise_alerts(w, anna)
    with session_scope(w.engine) as session:
        # The rule no wording knows, stored without a sentence: never its id instead.
        row = session.exec(select(AlertRecord).where(AlertRecord.rule == "club.rule9")).one()
        assert row.text == ""
    w.user(LEE, "Lee")
    monday = w.clock.now().date() + dt.timedelta(days=7 - w.clock.now().weekday())
    w.clock.set(dt.datetime.combine(monday, dt.time(8, 5), dt.UTC))
    await run_digest(w.running.application.bot, w.engine, w.clock)
    texts = [m.text or "" for m in w.sandbox.transcript(LEE) if m.sender == "bot"]
    [digest] = [t for t in texts if t.startswith("Weekly digest")]
    assert internal_words(digest) == [], digest
    assert "An alert without details was recorded" in digest, digest


def test_stage_words_never_show_an_id_alone() -> None:
    """The words every screen uses for a stage: a stage of the club's protocol without a
    name, one no longer in it, one of a protocol that cannot be read."""
    from bot.reports.shown import stage_words
    from bot.store.standing import parse_text

    club = parse_text(club_text(), "club.yaml")
    with use_language("en"):
        assert stage_words(club, "H8") == "H8 · Stage 3"
        assert stage_words(club, "H8", "athlete") == "Stage 3 of 9"
        assert stage_words(club, "H2") == "H2 · Return to running, jog → ~65 % Vmax"
        assert stage_words(club, "H9") == "a stage no longer in the protocol"
        assert stage_words(None, "H2") == "a stage of a protocol that cannot be read"


async def test_the_digest_names_a_step_back_from_a_stage_without_a_name_in_words(
    world: WorldFactory,
) -> None:
    """Anna stepped back this week from the club's H8, a stage named only by its code: the
    digest's step back and highest stage read "H8 · Stage 3", never "H8 · H8"."""
    w = await world()
    version = publish(w, club_text())
    anna, _lee = club_athlete(w, version=version)
    with session_scope(w.engine) as session:
        programme = repo.get_active_programme(session, athlete_id=anna)
        assert programme is not None and programme.id is not None
        assert programme.current_stage == "H8"
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage="H1",
            now=w.clock.now(),
            reason="club step back",
        )
    w.user(LEE, "Lee")
    monday = w.clock.now().date() + dt.timedelta(days=7 - w.clock.now().weekday())
    w.clock.set(dt.datetime.combine(monday, dt.time(8, 5), dt.UTC))
    await run_digest(w.running.application.bot, w.engine, w.clock)
    texts = [m.text or "" for m in w.sandbox.transcript(LEE) if m.sender == "bot"]
    [digest] = [t for t in texts if t.startswith("Weekly digest")]
    assert "H8 · H8" not in digest, digest
    assert "H8 · Stage 3" in digest, digest
