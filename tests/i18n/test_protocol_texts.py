"""The protocols' display texts: extracted for the catalogues, shown through them."""

from __future__ import annotations

import io

import yaml

from bot.services.protocol_files import PROTOCOL_DIR
from bot.support.i18n import use_language
from bot.support.protocol_texts import PROTOCOL_CONTEXT, extract_protocol, protocol_text


def _extract(name: str) -> list[tuple[int, str, tuple[str, str], list[str]]]:
    data = (PROTOCOL_DIR / f"{name}.yaml").read_bytes()
    return list(extract_protocol(io.BytesIO(data), (), (), {}))


def test_every_text_a_person_reads_is_extracted_with_where_it_is_shown() -> None:
    found = _extract("hamstring")
    texts = {message[1] for _line, _func, message, _comments in found}
    source = yaml.safe_load((PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8"))
    stages = source["stages"]
    assert source["title"] in texts and source["disclaimer"] in texts
    for stage in stages:
        assert {stage["name"], stage["goal"]} <= texts
        assert {drill["name"] for drill in stage["session"]} <= texts
        assert {c["text"] for c in stage.get("exit_criteria", [])} <= texts
        assert {c["text"] for c in stage.get("regression_triggers", [])} <= texts
    tier_1 = source["rules"]["red_flags"]["tiers"][1]["instruction"]
    assert tier_1 in texts
    assert all(
        func == "pgettext" and message[0] == PROTOCOL_CONTEXT for _l, func, message, _c in found
    )
    comments = {message[1]: c for _line, _f, message, c in found}
    assert comments[stages[0]["name"]] == ["hamstring H0: stage name"]
    assert comments[tier_1] == ["hamstring: red-flag tier 1 instruction"]


def test_sources_ids_and_the_deviation_notes_are_not_extracted() -> None:
    source = yaml.safe_load((PROTOCOL_DIR / "calf.yaml").read_text(encoding="utf-8"))
    texts = {message[1] for _l, _f, message, _c in _extract("calf")}
    assert source["notes"] not in texts
    assert not {c["source"] for s in source["stages"] for c in s.get("exit_criteria", [])} & texts
    assert not {s["id"] for s in source["stages"]} & texts


def test_the_line_of_each_text_is_the_line_in_the_file() -> None:
    lines = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8").splitlines()
    for line, _func, (_ctx, message), _comments in _extract("hamstring"):
        # A folded block (">-") starts on its indicator's line; the text on the next one.
        shown = lines[line - 1] if ">-" not in lines[line - 1] else lines[line]
        assert message.split()[0] in shown, (line, message)


def test_a_protocol_text_without_a_translation_reads_in_english() -> None:
    with use_language("de"):
        # A text an admin typed since the catalogues were made has no translation yet.
        assert protocol_text("Nordic curls, 3 x 4, slow") == "Nordic curls, 3 x 4, slow"
        assert protocol_text("") == ""
