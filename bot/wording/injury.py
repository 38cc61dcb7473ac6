"""An injury in words, in the reader's language: "left hamstring (biceps femoris)"."""

from __future__ import annotations

from bot.support.i18n import L_, LazyText, _

_SIDES: dict[str, LazyText] = {"left": L_("left"), "right": L_("right")}
_INJURIES: dict[str, LazyText] = {"hamstring": L_("hamstring"), "calf": L_("calf")}
_MUSCLES: dict[str, LazyText] = {
    "biceps_femoris": L_("biceps femoris"),
    "semimembranosus": L_("semimembranosus"),
    "semitendinosus": L_("semitendinosus"),
    "soleus": L_("soleus"),
    "gastrocnemius": L_("gastrocnemius"),
}


def _word(table: dict[str, LazyText], value: str) -> str:
    found = table.get(value)
    return str(found) if found is not None else value.replace("_", " ")


def injury_words(side: str, injury: str, muscle: str | None = None) -> str:
    """Return the injury as a person reads it ("left hamstring (biceps femoris)", "isquiotibiales
    izquierdos (bíceps femoral)"); an unknown muscle is left out."""
    # TRANSLATORS: {side} is "left" or "right", {injury} "hamstring" or "calf"; reorder and
    # agree them as your language needs.
    text = _("{side} {injury}").format(side=_word(_SIDES, side), injury=_word(_INJURIES, injury))
    if muscle and muscle != "unknown":
        text += f" ({_word(_MUSCLES, muscle)})"
    return text


def injury_name(injury: str) -> str:
    """Return the injured muscle group alone ("hamstring", "isquiotibiales")."""
    return _word(_INJURIES, injury)
