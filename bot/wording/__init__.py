"""What things are called for people: plain words for the data dictionary's items, criteria,
stages, protocol display texts (``protocol_text``), percentages, the progression gate
(``gate``) and the clinician's record (``record``).

One vocabulary for every screen a person reads (chat, clinician cards, digest, chart, PDF), so
that ``checks.walk_pain ≤ 2`` is "walking pain 2/10 or less" everywhere and a percentage means
the same thing on the chart as in the report. Athletes and clinicians read slightly different
words (``voice.md``: athletes read "top speed", clinicians "Vmax"); every function takes the
audience.

Pure and below the reports layer: may import ``engine`` only, so that services, reports and
handlers can all use it.
"""

from bot.wording.criteria import CriterionLike, describe_criterion, describe_threshold
from bot.wording.gate import GateWords, describe_gate_item, still_needed
from bot.wording.injury import injury_words
from bot.wording.items import Audience, format_value, item_label, item_wording
from bot.wording.percentages import (
    SPEED_PERCENT_DEFINITION,
    speed_pct,
    speed_percent_definition,
    speed_series_label,
    split_speed_pct,
)
from bot.wording.protocol import protocol_text
from bot.wording.record import (
    ENGINE_MOVER,
    REVIEWED,
    alert_action_words,
    clinician_move_reason,
    engine_move_reason,
    record_action_name,
)
from bot.wording.stages import stage_label, stage_name

__all__ = [
    "ENGINE_MOVER",
    "REVIEWED",
    "SPEED_PERCENT_DEFINITION",
    "Audience",
    "CriterionLike",
    "GateWords",
    "alert_action_words",
    "clinician_move_reason",
    "describe_criterion",
    "describe_gate_item",
    "describe_threshold",
    "engine_move_reason",
    "format_value",
    "injury_words",
    "item_label",
    "item_wording",
    "protocol_text",
    "record_action_name",
    "speed_pct",
    "speed_percent_definition",
    "speed_series_label",
    "split_speed_pct",
    "stage_label",
    "stage_name",
    "still_needed",
]
