"""A stage's sign-off answers every alert that put it to the clinician: the request
("criteria met: sign-off needed") and the engine's word that an earlier sign-off came too
early or no longer holds ("you will be asked again"). The reports read them all alike: the
clinician's PDF says each was signed off, and the athlete's own report says what each was
about (their earlier OK did not count, as they were told on the day; their clinician was
asked for their OK) and that the OK was given. Only the request did: the others read as
merely seen in the clinician's PDF and, in the athlete's, as "told how your training is
going" with nothing done about them. End to end through the Bot API sandbox, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.protocol_files import load_protocol
from tests.clinician.test_clear_reviews_acknowledged_red_flags import clinician_pdf, flat
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.clinician.test_report_button_and_menus import (
    CHART_WAIT,
    WorldFactory,
    has_document,
    pdf_text,
)

LEE, BEN = 2001, 3002
H0_CRITERION = load_protocol("hamstring").stage("H0").exit_criteria[0].text
EARLIER = {
    "gate.8.early": (
        f"Sign-off for H0 recorded before its criteria were met (missing: {H0_CRITERION}): "
        "it does not open the gate; you will be asked again."
    ),
    "gate.8.lapsed": (
        f"Sign-off for H0 no longer holds: a result after it did not meet {H0_CRITERION}. "
        "You will be asked again once the criteria are met."
    ),
}
REQUEST = "Stage H0 criteria met: sign-off needed to move on."
# What the athlete was told on the day (bot.wording.engine_reasons), as a report cell wraps.
ATHLETE_TOLD = {
    "gate.8.early": "Your clinician gave their OK before everything this stage needs was in place",
    "gate.8.lapsed": "A result since your clinician's OK did not meet what this stage needs",
}


def rows(text: str, heading: str, end: str) -> str:
    """The part of a PDF's flat text from ``heading`` (the alert table's) to ``end``."""
    part = text[text.index(heading) :]
    return part[: part.index(end)]


@pytest.mark.parametrize("rule", sorted(EARLIER))
async def test_a_sign_off_reads_as_given_on_every_alert_that_asked_for_it(
    world: WorldFactory, rule: str
) -> None:
    """Ben's earlier sign-off at H0 did not count (too early, or a result undid it): the
    engine said Lee would be asked again. A day later H0's criteria are met and the request
    comes; Lee signs off with /clear."""
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    w.raise_alert(ben_id, "info", rule, EARLIER[rule])
    w.clock.advance(dt.timedelta(hours=2))
    w.meet_h0_criteria(ben_id)
    w.raise_alert(ben_id, "info", "gate.8", REQUEST)
    await w.escalate()
    assert (await say(lee, f"/clear {ben_id}")).startswith("Signed off: Ben may move on.")
    await w.deliver()

    # Lee's PDF: both alerts were answered by the sign-off, and say so.
    report = await clinician_pdf(lee, ben_id)
    alerts = rows(report, "Acknowledged, action", "Clinician's record")
    assert alerts.count("signed off") == 2, alerts
    assert "Reviewed: may run again" not in alerts, alerts

    # Ben's own report: as he was told on the day, his earlier OK did not count; then his
    # clinician was asked for their OK; both rows say the OK was given.
    await ben.send("/report")
    await ben.wait_until(has_document, timeout=CHART_WAIT)
    own = flat(pdf_text(ben.documents[-1].data))
    told = own.index(ATHLETE_TOLD[rule])
    asked = own.index("Your clinician was asked for their OK to move on")
    assert told < asked, own
    assert own.count("OK given to move on") == 2, own
    assert "told how your training is going" not in own, own
