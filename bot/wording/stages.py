"""Stages by name and number: "Stage 3 of 8 · back to running" for athletes, "H2 · Return to
running" for clinicians (codes are fine for clinicians, ``voice.md``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from bot.support.i18n import L_, N_, _, mid_sentence
from bot.wording.items import Audience
from bot.wording.protocol import protocol_text

# voice.md "Stage names (athletes)", in stage order (English ids, translated where shown).
_ATHLETE_NAMES: dict[str, tuple[str, ...]] = {
    "hamstring": (
        N_("protect and walk"),
        N_("early strength"),
        N_("back to running"),
        N_("progressive running"),
        N_("high-speed running"),
        N_("sprinting"),
        N_("full training"),
        N_("back to play"),
    ),
    "calf": (
        N_("protect and walk"),
        N_("walking and early strength"),
        N_("strength and hops"),
        N_("easy run-throughs"),
        N_("faster running and single-leg hops"),
        N_("high-speed running and cutting"),
        N_("sprinting and full training"),
        N_("back to play"),
    ),
}


# A chart band's name for a stage the protocol version no longer holds (a newer version
# removed it): its words, as "a stage no longer in the protocol" says it in sentences; the
# band is too narrow for the sentence, and "Stage" alone, or its id, tells the reader nothing.
REMOVED_STAGE_BAND = L_("Removed stage")


class StageLike(Protocol):
    """What a stage needs to be named (``engine.schema.Stage`` has it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


class ProtocolLike(Protocol):
    """What a protocol needs for stage names (``engine.schema.Protocol`` has it)."""

    @property
    def injury(self) -> str: ...
    @property
    def stages(self) -> Sequence[StageLike]: ...


def _index(protocol: ProtocolLike, stage_id: str) -> int | None:
    for index, stage in enumerate(protocol.stages):
        if stage.id == stage_id:
            return index
    return None


def has_stage(protocol: ProtocolLike, stage_id: str) -> bool:
    """Tell whether ``stage_id`` is one of the protocol's stages."""
    return _index(protocol, stage_id) is not None


# A stage's name that is no display name: a key (snake case, "club_strength_block").
_KEY = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def has_display_name(stage: StageLike) -> bool:
    """Tell whether a stage has a name a person can read: not blank, not its own id ("H8"),
    not a key ("club_strength"). An admin's protocol may name a stage so."""
    name = str(stage.name or "").strip()
    return bool(name) and name.casefold() != stage.id.casefold() and not _KEY.fullmatch(name)


def _table_name(protocol: ProtocolLike, index: int) -> str | None:
    """The athlete's name of a shipped protocol's stage (voice.md), else None."""
    names = _ATHLETE_NAMES.get(protocol.injury)
    if names is not None and len(names) == len(protocol.stages):
        return _(names[index])
    return None


def stage_name(protocol: ProtocolLike, stage_id: str, audience: Audience = "athlete") -> str:
    """Return the stage's short name ("back to running"), never its id alone: "Stage 3" for a
    stage without a display name (:func:`has_display_name`); for a stage the protocol does
    not hold, "a stage no longer in the protocol" (clinician) or "an earlier stage"."""
    index = _index(protocol, stage_id)
    if index is None:
        # A stage a newer version of the protocol removed (or an id it never had): a
        # clinician reads that it is gone, never that it came earlier.
        if audience == "clinician":
            return _("a stage no longer in the protocol")
        return _("an earlier stage")
    if audience == "athlete" and (table := _table_name(protocol, index)) is not None:
        return table
    stage = protocol.stages[index]
    if not has_display_name(stage):
        return _("Stage {number}").format(number=index + 1)
    name = protocol_text(stage.name)
    return name if audience == "clinician" else mid_sentence(name)


def stage_label(protocol: ProtocolLike, stage_id: str, audience: Audience = "athlete") -> str:
    """Return "Stage 3 of 8 · back to running" (athlete) or "H2 · Return to running"
    (clinician); "Stage 3 of 9" and "H8 · Stage 3" for a stage without a display name."""
    index = _index(protocol, stage_id)
    name = stage_name(protocol, stage_id, audience)
    if index is None:
        return name
    if audience == "clinician":
        return f"{stage_id} · {name}"
    label = _("Stage {number} of {total} · {name}").format(
        number=index + 1, total=len(protocol.stages), name=name
    )
    unnamed = _table_name(protocol, index) is None and not has_display_name(protocol.stages[index])
    return label.split(" · ")[0] if unnamed else label


def stage_position(protocol: ProtocolLike, stage_id: str) -> str:
    """Return where the stage stands for the athlete, without its name: "Stage 3 of 8"."""
    return stage_label(protocol, stage_id).split(" · ")[0]
