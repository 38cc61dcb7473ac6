"""One definition of every percentage people read, on the chart, in the PDF and in chat.

Speed and sprint times are both shown as "% of your pre-injury speed": 100 % is the speed of
the baseline, higher is faster. For a sprint time that is baseline time ÷ time × 100, so a
10 m split of 2.00 s against a 1.80 s baseline is 90 % (slower), never "111 %".
"""

from __future__ import annotations

from bot.support.i18n import L_, N_, Text, _, text
from bot.wording.items import Audience

# English ids, marked for the catalogue: :func:`speed_percent_definition` translates them.
SPEED_PERCENT_DEFINITION = N_("100 % = your pre-injury speed; higher is faster")


def split_speed_pct(time_s: float, baseline_s: float) -> float:
    """Return a sprint time as % of the pre-injury speed (baseline ÷ time × 100)."""
    if time_s <= 0 or baseline_s <= 0:
        raise ValueError("sprint times must be positive")
    return baseline_s / time_s * 100.0


SPEED_PERCENT_DEFINITION_CLINICIAN = N_(
    "% of baseline speed: 100 % = pre-injury speed, higher is faster "
    "(Vmax ÷ baseline Vmax; a split as baseline time ÷ time)"
)

# What each speed line of the chart is called, as % of the pre-injury speed.
_SPEED_SERIES: dict[str, tuple[Text, Text]] = {
    "vmax": (L_("top speed"), L_("Vmax")),
    "split_10m": (L_("10 m sprint speed"), L_("10 m split (as speed)")),
    "split_20m": (L_("20 m sprint speed"), L_("20 m split (as speed)")),
    "split_30m": (L_("30 m sprint speed"), L_("30 m split (as speed)")),
    "split_40m": (L_("40 m sprint speed"), L_("40 m split (as speed)")),
}


def speed_percent_definition(audience: Audience = "athlete") -> str:
    """Return the one sentence that defines every speed percentage, for ``audience``."""
    if audience == "athlete":
        return _(SPEED_PERCENT_DEFINITION)
    return _(SPEED_PERCENT_DEFINITION_CLINICIAN)


def speed_series_label(key: str, audience: Audience = "athlete") -> str:
    """Return what a speed line ("vmax", "split_10m", …) is called for ``audience``."""
    athlete, clinician = _SPEED_SERIES.get(key, (L_("speed"), L_("speed")))
    return text(athlete if audience == "athlete" else clinician)


def speed_pct(value: float, baseline: float, *, is_time: bool) -> float:
    """Return a measurement as % of the pre-injury speed: a speed as value ÷ baseline, a time
    as baseline ÷ time (so for both 100 % is the pre-injury speed and higher is faster)."""
    if value <= 0 or baseline <= 0:
        raise ValueError("speeds and times must be positive")
    return split_speed_pct(value, baseline) if is_time else value / baseline * 100.0
