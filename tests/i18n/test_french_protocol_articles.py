"""French names a protocol with its article: "le protocole hamstring", "du protocole …".

An admin's /protocol replies put the protocol's name where French needs a determiner: "Le
brouillon de hamstring est identique …", "hamstring v2 est publiée et active", "Dr Lee a
ramené hamstring à la v1". They now read "Le brouillon du protocole hamstring …", "La v2 du
protocole hamstring est publiée et active", "… a ramené le protocole hamstring à la v1". The
early sign-off says "Validation pour {stage}" ("Validation de une étape …" did not elide).
Read from the real French catalogue.
"""

from __future__ import annotations

import pytest

from bot.support.i18n import _, ngettext, use_language

NAME = "hamstring"


@pytest.mark.parametrize(
    ("msgid", "says"),
    [
        (
            "The draft of {name} is identical to the active version.",
            "Le brouillon du protocole hamstring est identique",
        ),
        (
            "Your earlier draft of {name} ({summary}) is dropped: one draft is kept at a time.",
            "Votre brouillon précédent du protocole hamstring (",
        ),
        (
            "Draft of <b>{name}</b> ({summary}), based on v{version}. Difference:",
            "Brouillon du protocole <b>hamstring</b>",
        ),
        (
            "There is no draft of {name} to try: make one with /protocol set or an upload.",
            "aucun brouillon du protocole hamstring à tester",
        ),
        (
            "Replaying examples and athletes on the draft of {name}…",
            "sur le brouillon du protocole hamstring…",
        ),
        (
            "{name} v{version} (active) is the same as the packaged file.",
            "La v2 (active) du protocole hamstring est identique",
        ),
        (
            "{name} v{version} (active) is the same as {other}.",
            "La v2 (active) du protocole hamstring est identique",
        ),
        (
            "{name} has no packaged file to compare with: name a version, e.g. /protocol diff "
            "{name} 1",
            "Le protocole hamstring n'a pas de fichier livré",
        ),
        (
            "{name} has no version {version}. See /protocol history {name}.",
            "Le protocole hamstring n'a pas de version 2.",
        ),
        (
            "{name} v{version} is published and active. Athletes move to it at their next "
            "decision; every decision records the version it used.",
            "La v2 du protocole hamstring est publiée et active.",
        ),
    ],
)
def test_a_protocols_name_has_its_article(msgid: str, says: str) -> None:
    with use_language("fr"):
        text = _(msgid).format(name=NAME, version=2, summary="1 change", other="v1")
    assert says in text, text


def test_the_dry_run_and_a_rollback_name_the_protocol_with_its_article() -> None:
    with use_language("fr"):
        dry = ngettext(
            "Dry-run of the draft of {name}: {n} case replayed.",
            "Dry-run of the draft of {name}: {n} cases replayed.",
            3,
        ).format(name=NAME, n=3)
        rolled = _(
            "{who} rolled {name} back to v{version} (in force now as v{new_version}), which "
            "undoes your {versions}. /protocol diff {name} {latest} shows what was undone; "
            "/protocol rollback {name} {latest} brings it back."
        ).format(who="Dr Lee", name=NAME, version=1, new_version=3, versions="v2", latest=2)
    assert dry.startswith("Test à blanc du brouillon du protocole hamstring"), dry
    assert rolled.startswith("Dr Lee a ramené le protocole hamstring à la v1"), rolled


def test_the_early_sign_off_of_a_stage_in_words_elides_nothing() -> None:
    with use_language("fr"):
        text = _(
            "Sign-off for {stage} recorded before its criteria were met (missing: {missing}): it "
            "does not open the gate; you will be asked again."
        ).format(stage="une étape qui n'est plus dans le protocole", missing="x")
    assert text.startswith("Validation pour une étape"), text
    assert "de une" not in text, text
