"""No alert reaches a German or Spanish clinician as the engine's English sentence.

Every alert rule the engine source raises (``acc.alert(…, "<rule>", …)`` and ``Alert(…,
rule="<rule>")``, enumerated as tests/wording/test_alert_words does) and the bot's own are
read through the wording (``bot.wording.alerts.alert_line``) and the screens' layer
(``bot.reports.shown.alert_text``) with the shipped protocol, with a protocol that cannot be
read, with a newer version whose criteria were all renamed, and as a sentence the wording does
not know (a newer engine's): whatever the wording cannot place is said in the reader's
language with the sentence's values, never as English prose, and no rule id shows.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from bot.reports.shown import alert_text
from bot.services import protocol_admin as pa
from bot.store.standing import parse_text
from bot.support.i18n import use_language
from bot.wording.alerts import alert_line
from tests.i18n.leaks import leaks
from tests.wording.test_alert_words import HAMSTRING, _every_alert


def _renamed() -> Any:
    """The shipped protocol as a newer version: every exit criterion's text reworded."""
    shipped = pa.shipped_file("hamstring")
    assert shipped is not None
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    for stage in data["stages"]:
        for criterion in stage.get("exit_criteria") or []:
            criterion["text"] = f"Kriterium {criterion['id']}"
    return parse_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "v2.yaml")


def _unknown_form(text: str) -> str:
    """The sentence as a newer engine might write it: no pattern of the wording reads it."""
    return text + " (v2)"


PROTOCOLS = {"shipped": HAMSTRING, "unreadable": None, "renamed": _renamed()}


@pytest.mark.parametrize("lang", ["de", "es"])
@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@pytest.mark.parametrize("form", ["engine", "unknown"])
def test_no_alert_reads_as_the_engines_english(lang: str, protocol: str, form: str) -> None:
    alerts = _every_alert()
    assert len({rule for rule, _t in alerts}) > 30
    english: list[str] = []
    for rule, text in alerts:
        sentence = text if form == "engine" else _unknown_form(text)
        with use_language(lang):
            lines = [
                alert_line(rule, sentence, PROTOCOLS[protocol]),
                alert_text(rule, sentence, PROTOCOLS[protocol]),
            ]
        for line in lines:
            found = leaks([line])
            if found or rule in line or "(v2)" in line:
                english.append(f"{rule}: {line} {[str(f) for f in found]}")
    assert not english, f"{len(english)} alert lines in English:\n" + "\n".join(english[:30])


def test_an_unknown_sentence_keeps_its_values_in_the_readers_words() -> None:
    text = _unknown_form("No progression for 14 days (stage H1): clinician review.")
    with use_language("de"):
        line = alert_line("escalate.no_progress", text, HAMSTRING)
    assert "H1 · Erste Belastung" in line and "(/athlete)" in line, line
    with use_language("en"):  # English keeps the engine's own sentence, stages named
        assert alert_line("escalate.no_progress", text, HAMSTRING) == (
            "No progression for 14 days (stage H1 · Early loading): clinician review. (v2)"
        )
    with use_language("es"):
        line = alert_line("session.against_plan", _unknown_form("On 2026-03-02 at 97.5 % Vmax."))
    assert "2 de marzo" in line and "97,5" in line and "2026-03-02" not in line, line
    assert not re.search(r"\bOn\b|\(v2\)|session\.against_plan", line), line
