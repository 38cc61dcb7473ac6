"""A protocol criterion in plain words: "walking pain 2/10 or less (you said 1 ✓)".

The same sentence is used by ``/status``, clinician cards, the PDF's "needed" column and the
chart's target line, so a threshold reads the same everywhere.
"""

from __future__ import annotations

from typing import Protocol

from bot.support.i18n import L_, Text, _, ngettext
from bot.wording.items import Audience, format_value, item_label, item_wording

_OP_WORDS: dict[str, Text] = {
    "le": L_("{v} or less"),
    "lt": L_("less than {v}"),
    "ge": L_("{v} or more"),
    "gt": L_("more than {v}"),
    "eq": "{v}",
}


class CriterionLike(Protocol):
    """What a criterion needs to be described (``engine.schema.Criterion`` has it)."""

    @property
    def item(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def threshold(self) -> float | bool: ...
    @property
    def count(self) -> int: ...
    @property
    def at_pct_vmax(self) -> float | None: ...
    @property
    def pain_max(self) -> int | None: ...


def _met(op: str, value: float | bool, threshold: float | bool) -> bool:
    if isinstance(threshold, bool) or isinstance(value, bool):
        return bool(value) == bool(threshold)
    return {
        "le": value <= threshold,
        "lt": value < threshold,
        "ge": value >= threshold,
        "gt": value > threshold,
        "eq": value == threshold,
    }[op]


def _special(item: str, op: str, threshold: float | bool, audience: Audience) -> str | None:
    """Sentences that read better than "<label> <value> or less" for a few items."""
    if isinstance(threshold, bool):
        return None
    if item == "derived.worst_10_20m_split_pct_baseline" and op in ("le", "lt"):
        slower = threshold - 100
        if audience == "clinician":
            return _("10 m and 20 m splits ≤ {pct} % of baseline time").format(
                pct=f"{threshold:.0f}"
            )
        if slower <= 0:
            return _("10 m and 20 m times as fast as before the injury")
        return _("10 m and 20 m times no more than {pct} % slower than before the injury").format(
            pct=f"{slower:.0f}"
        )
    if item == "derived.worst_split_pct_baseline" and op in ("le", "lt"):
        slower = threshold - 100
        if audience == "clinician":
            return _("slowest split ≤ {pct} % of baseline time").format(pct=f"{threshold:.0f}")
        if slower <= 0:
            return _("sprint times as fast as before the injury")
        return _("sprint times no more than {pct} % slower than before the injury").format(
            pct=f"{slower:.0f}"
        )
    if item == "derived.pct_vmax" and op == "ge" and audience == "athlete":
        # The day's plan caps the speed ("above today's limit of 65 %"): "speed 65 % or more"
        # beside it reads as a contradiction to a tired athlete. The criterion is a speed to
        # reach (at the top of the stage's range), not one to exceed.
        return _("runs reaching {pct} of your top speed").format(pct=format_value(item, threshold))
    if item.endswith("_lsi_pct") and op in ("le", "lt") and threshold > 100:
        # A ceiling on a limb symmetry index: the injured side may not be much the stronger
        # (asymmetry counts either way, or the sides were typed the wrong way round).
        # "111 % or less" means nothing to an athlete; the asymmetry it allows does:
        # |L - R| / max(L, R), so an LSI of 111.1 % is a 10 % difference.
        difference = f"{100 - 10_000 / threshold:.0f}"
        label = item_label(item, audience)
        if audience == "athlete":
            return _("{item}: within {pct} % either way").format(item=label, pct=difference)
        limit = _OP_WORDS[op].format(v=format_value(item, threshold))
        return _(
            "{item} {limit} (asymmetry {pct} % or less with the injured side stronger)"
        ).format(item=label, limit=limit, pct=difference)
    if item in ("derived.pain_test_delta", "derived.tightness_delta"):
        label = item_label(item, audience)
        points = ngettext("{n} point", "{n} points", int(abs(threshold))).format(
            n=f"{threshold:.0f}"
        )
        return f"{label} {_OP_WORDS[op].format(v=points)}"
    return None


def describe_threshold(
    item: str, op: str, threshold: float | bool, audience: Audience = "athlete"
) -> str:
    """Return "<what> <how much>" for one condition, e.g. "walking pain 2/10 or less"."""
    special = _special(item, op, threshold, audience)
    if special is not None:
        return special
    label = item_label(item, audience)
    wording = item_wording(item)
    if isinstance(threshold, bool) or wording.fmt == "bool":
        wanted = bool(threshold) if op == "eq" else not bool(threshold)
        # TRANSLATORS: a yes/no item that must be absent, e.g. "no limp when walking".
        return label if wanted else _("no {item}").format(item=label)
    if wording.fmt == "scale10" and op == "le" and threshold == 0:
        return _("no {item} (0/10)").format(item=label)
    return f"{label} {_OP_WORDS[op].format(v=format_value(item, threshold))}"


def _restrictions(criterion: CriterionLike, audience: Audience) -> str:
    parts: list[str] = []
    if criterion.count > 1:
        n = criterion.count
        if criterion.item.startswith("morning."):
            times = ngettext("{n} morning in a row", "{n} mornings in a row", n)
        elif criterion.item.startswith(("session.", "metrics.", "derived.")):
            times = ngettext("{n} session in a row", "{n} sessions in a row", n)
        else:
            times = ngettext("{n} time in a row", "{n} times in a row", n)
        parts.append(times.format(n=n))
    if criterion.at_pct_vmax is not None:
        pct = f"{criterion.at_pct_vmax:.0f}"
        if audience == "athlete":
            parts.append(_("in runs at {pct} % of top speed or faster").format(pct=pct))
        else:
            parts.append(_("in runs at {pct} % of Vmax or faster").format(pct=pct))
    if criterion.pain_max is not None:
        parts.append(_("with session pain {pain}/10 or less").format(pain=criterion.pain_max))
    return f" ({', '.join(parts)})" if parts else ""


def describe_criterion(
    criterion: CriterionLike,
    audience: Audience = "athlete",
    observed: float | bool | None = None,
    *,
    show_observed: bool = False,
) -> str:
    """Return a criterion in plain words, with the latest value when ``show_observed``.

    "walking pain 2/10 or less (you said 1 ✓)"; for clinicians "(last: 1 ✓)".
    """
    text = describe_threshold(criterion.item, criterion.op, criterion.threshold, audience)
    text += _restrictions(criterion, audience)
    if not show_observed:
        return text
    if observed is None:
        return _("{criterion} (not recorded yet)").format(criterion=text)
    mark = "✓" if _met(criterion.op, observed, criterion.threshold) else "✗"
    value = f"{format_value(criterion.item, observed)} {mark}"
    if audience != "athlete":
        said = _("{criterion} (last {value})")
    elif criterion.item.startswith(("metrics.", "derived.")):
        said = _("{criterion} (latest {value})")
    else:
        said = _("{criterion} (you said {value})")
    return said.format(criterion=text, value=value)


# Why an exit criterion's latest result was left out (``engine.programme.NotCounted``).
_NOT_COUNTED: dict[str, Text] = {
    "session": L_("your latest result was not counted: that session did not count"),
    "review": L_(
        "your latest result was not counted: running was stopped for your clinician's review"
    ),
}


def not_counted_words(why: str | None) -> str | None:
    """Why a criterion's latest result did not count, in words ("your latest result was not
    counted: that session did not count"), for a gate item's ``not_counted``; None for none.
    Said instead of "not reported yet" about a result the athlete did send."""
    found = _NOT_COUNTED.get(why or "")
    return str(found) if found is not None else None
