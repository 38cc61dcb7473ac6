"""An athlete who unlinks while their clinician's digest is being made is not in it: neither
in the text (read before the unlink, claimed after) nor as a chart drawn after it went out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.services import digest as digest_module
from bot.services.digest import run_digest
from bot.store import repo
from bot.store.db import session_scope
from tests.reports_bot.conftest import WorldFactory

ANNA, BEN, LEE = 3001, 3002, 2001
MONDAY = dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC)


def _digests(w: Any) -> list[str]:
    texts = [m.text for m in w.sandbox.transcript(LEE) if m.sender == "bot"]
    return [t for t in texts if t and t.startswith("Weekly digest")]


async def test_an_athlete_unlinked_after_the_digest_was_read_is_not_in_it(
    world_both: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world_both()
    anna = w.add_athlete(ANNA, "Anna Moreau", days=20, alert="emergency")
    ben = w.add_athlete(BEN, "Ben Okafor", days=20)
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    w.link(anna, lee)
    w.link(ben, lee)
    lee_chat = w.user(LEE, "Lee")
    w.clock.set(MONDAY)
    read = digest_module.prepare_digest_details
    reads: list[int] = []

    def read_then_ben_unlinks(*args: Any, **kwargs: Any) -> Any:
        result = read(*args, **kwargs)
        reads.append(1)
        if len(reads) == 1:  # Ben unlinks from Dr Lee right after the first read
            with session_scope(w.engine) as session:
                assert repo.unlink_athlete(session, athlete_id=ben, clinician_id=lee)
        return result

    monkeypatch.setattr(digest_module, "prepare_digest_details", read_then_ben_unlinks)
    run = await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    assert run.sent == [lee]
    assert len(reads) == 2  # read again without him
    [text] = _digests(w)
    assert "Anna Moreau" in text
    assert "Ben Okafor" not in text
    assert [p.caption and p.caption.split(":")[0] for p in lee_chat.photos] == ["Anna Moreau"]


async def test_no_chart_of_an_athlete_who_unlinked_once_the_digest_went_out(
    world_both: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world_both()
    anna = w.add_athlete(ANNA, "Anna Moreau", days=20, alert="emergency")
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    w.link(anna, lee)
    lee_chat = w.user(LEE, "Lee")
    w.clock.set(MONDAY)
    claim = digest_module.claim_digest

    def claim_then_anna_unlinks(*args: Any, **kwargs: Any) -> Any:
        claimed = claim(*args, **kwargs)
        with session_scope(w.engine) as session:
            assert repo.unlink_athlete(session, athlete_id=anna, clinician_id=lee)
        return claimed

    monkeypatch.setattr(digest_module, "claim_digest", claim_then_anna_unlinks)
    run = await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    assert run.sent == [lee]
    # The text was handed over while she was linked (a message in flight); her chart, drawn
    # after she unlinked, is not sent.
    assert "Anna Moreau" in _digests(w)[0]
    assert lee_chat.photos == []
