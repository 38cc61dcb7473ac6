"""One definition of every percentage people read, on the chart, in the PDF and in chat.

Speed and sprint times are both shown as "% of your pre-injury speed": 100 % is the speed of
the baseline, higher is faster. For a sprint time that is baseline time ÷ time × 100, so a
10 m split of 2.00 s against a 1.80 s baseline is 90 % (slower), never "111 %".
"""

from __future__ import annotations

SPEED_PERCENT_DEFINITION = "100 % = your pre-injury speed; higher is faster"


def split_speed_pct(time_s: float, baseline_s: float) -> float:
    """Return a sprint time as % of the pre-injury speed (baseline ÷ time × 100)."""
    if time_s <= 0 or baseline_s <= 0:
        raise ValueError("sprint times must be positive")
    return baseline_s / time_s * 100.0
