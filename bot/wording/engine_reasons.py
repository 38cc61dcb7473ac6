"""The engine's sentences for a day, in the athlete's language (issue 17).

The engine is pure and language-neutral: each reason it gives carries its rule, the value it
saw, the threshold and an English sentence for the record. The rules that the protocol does
not describe (a wellness floor, a run inside a rest interval, a clinician's hold, …) are
worded here from the rule and the structured parts of the reason, so an athlete reads them
in their own language. :func:`reason_words` returns None for a rule or a form of sentence it
does not know (an engine sentence changed): the caller then shows the engine's sentence,
cleaned of internal names (``bot.wording.reasons.plain``); tests/wording lists every rule the
engine gives and checks each reads in every language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from bot.support.formats import format_day_month, format_decimal, format_percent
from bot.support.i18n import N_, _, capitalised, ngettext
from bot.wording.criteria import describe_criterion
from bot.wording.items import item_label
from bot.wording.stages import has_stage, stage_label

Worder = Callable[[Any, Any], str | None]

# Every red flag of the morning screen (morning.p1.redflag.tier1 … tier3): the athlete knows
# what they reported; the tier's instruction heads the message itself.
_RED_FLAG_RULE = "morning.p1.redflag"

# Sentences that carry no value.
_FIXED: dict[str, str] = {
    "programme.started": N_("Your programme started today; your first check-in is tomorrow."),
    "morning.p1.unanswered": N_(
        "The warning-sign questions were not answered: no training until they are."
    ),
    "morning.p3": N_(
        "Rest day: no running. Pain-free mobility and upper-body work are fine; the bike only if "
        "pain stays at 1/10 or less."
    ),
    "missing.hooper": N_("Sleep, tiredness, stress or soreness not answered: no moving up today."),
    "missing.sleep_hours": N_("Hours slept not answered: no moving up today."),
    "24h.missing": N_(
        "The morning after your last session was not fully answered, so how your leg took that "
        "session is unknown: it does not count yet."
    ),
    "24h.unpaired": N_(
        "Your last session came before that day's check-in, so this morning cannot be compared "
        "with how your leg was before it: that session does not count yet."
    ),
    "24h.week_rise": N_(
        "Morning pain or tightness has risen week on week: you stay at this stage."
    ),
    "metric.regression": N_(
        "Your speed was more than 3 % below your best at this stage: you test again next "
        "session, and if you are more than 3 % down again, you go back one stage."
    ),
    "gate.8.early": N_(
        "Your clinician gave their OK before everything this stage needs was in place: they "
        "will be asked again once it is."
    ),
    "gate.8.lapsed": N_(
        "A result since your clinician's OK did not meet what this stage needs: they will be "
        "asked again once it does."
    ),
    "stop.reset": N_(
        "After a stop, what this stage needs (criteria and sessions) is earned again after "
        "your clinician's review."
    ),
    "morning.p3.worse": N_(
        "Pain or tightness is worse than at your last rest-day check-in: no running until your "
        "clinician has reviewed you."
    ),
    "session.no_run.after": N_(
        "A session without running counts towards moving up only after a run that counted: "
        "your next run that goes well opens the way again."
    ),
    "session.incomplete": N_(
        "Session not completed because of symptoms or fear: repeat it; no moving up yet."
    ),
    "session.low_confidence": N_(
        "Low confidence or holding back in fast sessions several times in a row: you stay at "
        "this stage."
    ),
    "clinician.decline": N_("Your clinician has not given their OK to move on yet."),
    "clinician.hold": N_("Your clinician asked you to stay at this stage today."),
    "clinician.pause": N_("Your programme is paused."),
}

# Why a day had no running (engine.programme._BLOCKED_WHY, keyed by the reason's value); a run
# with no check-in before it ("missing") is worded on its own.
_NO_RUNNING_WHY: dict[str, str] = {
    "awaiting clinician review": N_("running is on hold until your clinician has reviewed you"),
    "paused": N_("your programme is paused"),
    "rest": N_("your morning check-in said rest"),
    "stop": N_("your morning check-in said stop"),
}
# A run on a day whose plan had none: this stage has no running yet, or the muscle rests
# between fast sessions (the reason does not say which, so neither is named).
_PLAN_HAD_NO_RUNNING = ("no running", "no running in the plan")

_HOLD_SINCE = re.compile(r"\(on hold since (?P<day>\d{1,2}) (?P<month>[A-Z][a-z]+)\)")
_HOOPER_SUM = re.compile(r"^Hooper index (?P<sum>\d+)\b")
_MAX_PCT = re.compile(r"max (?P<pct>\d+(?:\.\d+)?) % Vmax")
_HOOPER_ITEM = re.compile(r"^(?P<item>sleep quality|fatigue|stress|soreness) (?P<value>\d+)/7")
_REST_STREAK = re.compile(r"^Rest verdict (?P<count>\d+) mornings in a row")
# A step back due at the first stage, held there instead (engine.programme._step_back).
FIRST_STAGE_HELD = "Already at the first stage"
_GRADE = re.compile(r"^Grade (?P<grade>\S+) is above .*\(≤ (?P<max>[^)]+)\)")
_UNANSWERED = re.compile(r"^Unanswered: (?P<keys>[a-z_, ]+)[.:]")
# A speed reading too fast to trust, as engine.plausibility names it (alerts read it too).
SPEED_TOP = re.compile(r"^top speed (?P<pct>\d+(?:\.\d+)?) % of your baseline$")
SPEED_SPLIT = re.compile(
    r"^(?P<dist>\d+m) split (?P<s>\d+(?:\.\d+)?) s, (?P<pct>\d+) % faster than baseline$"
)
SPEED_SPLIT_OVER_TOP = re.compile(
    r"^(?P<dist>\d+m) split (?P<s>\d+(?:\.\d+)?) s, faster than your top speed$"
)
# Splits that do not add up, as engine.plausibility.describe_conflict names them: two splits
# (or one from the start), and the top speed when it is what they contradict.
_SPLITS_CONFLICT = re.compile(
    r"^(?:(?P<d1>\d+m) split (?P<t1>\d+(?:\.\d+)?) s and )?(?P<d2>\d+m) split "
    r"(?P<t2>\d+(?:\.\d+)?) s do not add up(?: with top speed (?P<top>\d+(?:\.\d+)?) m/s)?:"
)


def _number(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return format_decimal(float(value))


def _on_hold(reason: Any, protocol: Any) -> str | None:
    found = _HOLD_SINCE.search(str(reason.text))
    if found is None:
        return None
    try:
        month = dt.datetime.strptime(found["month"], "%B").month
        # Any leap year: the sentence names a day and a month only.
        day = dt.date(2000, month, int(found["day"]))
    except ValueError:
        return None
    return _(
        "No running until your clinician has reviewed you (on hold since {date}). They have "
        "been told and are the one to act: rest, walk as comfortable and keep checking in."
    ).format(date=format_day_month(day))


def _hooper_floor(reason: Any, protocol: Any) -> str | None:
    total = _number(reason.observed)
    if total is None:
        return None
    if str(reason.rule).startswith("morning.p5"):
        text = _(
            "Sleep, tiredness, stress and soreness add up to {sum} (4 = best, 28 = worst): no "
            "fast running today."
        )
    else:
        text = _(
            "Sleep, tiredness, stress and soreness add up to {sum} (4 = best, 28 = worst): no "
            "moving up today."
        )
    return text.format(sum=total)


def _hooper_usual(reason: Any, protocol: Any) -> str | None:
    total = _HOOPER_SUM.match(str(reason.text))
    if total is None:
        return None
    if str(reason.rule).startswith("morning.p6"):
        return _(
            "Sleep, tiredness, stress and soreness ({sum} of 28) are above your usual: no moving "
            "up and no maximal sprint today."
        ).format(sum=total["sum"])
    cap = _MAX_PCT.search(str(reason.text))
    if cap is None:
        return None
    return _(
        "Sleep, tiredness, stress and soreness ({sum} of 28) are well above your usual: no fast "
        "running today, at most {pct} of your top speed."
    ).format(sum=total["sum"], pct=format_percent(float(cap["pct"])))


def _hooper_item(reason: Any, protocol: Any) -> str | None:
    found = _HOOPER_ITEM.match(str(reason.text))
    if found is None:
        return None
    key = "morning." + found["item"].replace(" ", "_")
    label = item_label(key)
    return _("{item} {value}/7 (7 = worst): no fast running today.").format(
        item=capitalised(label), value=found["value"]
    )


def _sleep(reason: Any, protocol: Any) -> str | None:
    hours = _number(reason.observed)
    if hours is None:
        return None
    if str(reason.rule).startswith("morning.p5"):
        return _("Slept {hours} h: no fast running today.").format(hours=hours)
    return _("Slept {hours} h: no moving up and no maximal sprint today.").format(hours=hours)


def _confidence(reason: Any, protocol: Any) -> str | None:
    value = _number(reason.observed)
    if value is None:
        return None
    if "repeat the last successful session" not in str(reason.text):
        # A day without a session to repeat (a stop awaiting a review, a rest day, a pause:
        # engine.readiness.without_modified_session).
        return _("Confidence {value}/10: a talk with your clinician is offered.").format(
            value=value
        )
    return _(
        "Confidence {value}/10: repeat your last good session; a talk with your clinician is "
        "offered."
    ).format(value=value)


def _no_run(reason: Any, protocol: Any) -> str:
    """Tests logged without a run on a day whose plan had running (engine.programme._session):
    done in full, taken as a run by feel for the days without a run at the stage's speed, and
    said so; never one of the runs the stage counts."""
    if "by feel" in str(reason.text):
        return _(
            "No run was logged with this session, so it does not count as one of the runs this "
            "stage needs. As you did the whole session on a running day, I take it you ran as "
            "planned: the rest before your next fast session applies. Log how many fast runs you "
            "did as well: you can count them without a device."
        )
    return _(
        "No run was logged with this session, so it does not count as one of the runs this "
        "stage needs, and the rest before your next fast session still applies. If you did "
        "run, also log how many fast runs you did: you can count them without a device."
    )


def _usual_tightness_today(reason: Any, protocol: Any) -> str | None:
    """The morning's tightness read against the usual the clinician accepted (/usual)."""
    value, usual = _number(reason.observed), _number(reason.threshold)
    if value is None or usual is None:
        return None
    return _(
        "Tightness {value}/10: your clinician noted {usual}/10 as usual for you, so only a rise "
        "from that counts."
    ).format(value=value, usual=usual)


# The accepted usual's limit at a stage with running (engine.programme._usual_tightness).
_STILL_REST = re.compile(r"tightness of (?P<limit>\d+)/10 or more is still a rest day")


def _usual_tightness_accepted(reason: Any, protocol: Any) -> str | None:
    """The clinician's /usual, as the day it takes effect says it (or why it does not)."""
    value = _number(reason.observed)
    if value is None:
        return None
    if str(reason.text).startswith("A usual tightness of"):
        most = _number(reason.threshold)
        if most is None:
            return _(
                "A usual tightness your clinician noted ({value}/10) does not apply to your "
                "programme: tightness is read as before."
            ).format(value=value)
        return _(
            "A usual tightness your clinician noted ({value}/10) is above what your programme "
            "allows ({most}/10), so it does not apply: tightness is read as before."
        ).format(value=value, most=most)
    limit = _STILL_REST.search(str(reason.text))
    if limit is None:
        return _(
            "Your clinician noted that tightness around {value}/10 is usual for you: from now "
            "on, tightness only makes a lighter or rest day if it rises above that."
        ).format(value=value)
    return _(
        "Your clinician noted that tightness around {value}/10 is usual for you: from now on, "
        "tightness only makes a lighter or rest day if it rises above that. Once you are "
        "running, {limit}/10 or more is still a rest day."
    ).format(value=value, limit=limit["limit"])


# The fixed rest limit for tightness at a stage with running (engine.readiness): "< 4 at a
# stage with running".
_RUNNING_LIMIT = re.compile(r"^<\s*(?P<limit>\d+)\b")


def _tightness_running(reason: Any, protocol: Any) -> str | None:
    """Tightness at or over the limit for running: a rest day at a stage with running
    (``morning.p3.tightness_running``), or no moving up into one (``gate.tightness_running``)."""
    value = _number(reason.observed)
    found = _RUNNING_LIMIT.match(str(reason.threshold))
    if value is None or found is None:
        return None
    if str(reason.rule).startswith("gate."):
        return _(
            "Tightness {value}/10: no running with tightness of {limit}/10 or more, so you do "
            "not move up to a stage with running today."
        ).format(value=value, limit=found["limit"])
    return _("Tightness {value}/10: no running with tightness of {limit}/10 or more.").format(
        value=value, limit=found["limit"]
    )


# Tightness above anybody's usual (engine.programme._tightness_bars_moving_up): "≤ 5 to move up".
_MOVE_UP_MOST = re.compile(r"^≤\s*(?P<most>\d+)\b")


def _tightness_usual(reason: Any, protocol: Any) -> str | None:
    """Tightness above the most anyone's usual may be: no moving up today."""
    value = _number(reason.observed)
    found = _MOVE_UP_MOST.match(str(reason.threshold))
    if value is None or found is None:
        return None
    return _(
        "Tightness {value}/10: you move up only on a morning with tightness of {most}/10 or "
        "less, so not today."
    ).format(value=value, most=found["most"])


# A stall held by this morning's tightness alone (engine.stall.tightness_hold_words).
_STALL_TIGHTNESS = re.compile(
    r"^You have been at this level for (?P<days>\d+) days\. What is still missing: "
    r"tightness (?P<value>\d+)/10: (?P<what>running starts once it is|moving up waits until "
    r"it is) below (?P<limit>\d+)/10\. Your clinician has been told as well\.$"
)


def _stall(reason: Any, protocol: Any) -> str | None:
    """A stall whose only missing item is the morning's tightness: said, with what it needs
    (any other stall is worded with its days only, ``bot.wording.reasons``)."""
    found = _STALL_TIGHTNESS.match(str(reason.text))
    if found is None:
        return None
    days = int(found["days"])
    if found["what"].startswith("running"):
        return ngettext(
            "You have been at this stage for {days} day: tightness {value}/10 keeps you from "
            "running. Running starts once it is below {limit}/10. Your clinician has been told.",
            "You have been at this stage for {days} days: tightness {value}/10 keeps you from "
            "running. Running starts once it is below {limit}/10. Your clinician has been told.",
            days,
        ).format(days=days, value=found["value"], limit=found["limit"])
    return ngettext(
        "You have been at this stage for {days} day: tightness {value}/10 keeps you from "
        "moving up. You move up once it is below {limit}/10. Your clinician has been told.",
        "You have been at this stage for {days} days: tightness {value}/10 keeps you from "
        "moving up. You move up once it is below {limit}/10. Your clinician has been told.",
        days,
    ).format(days=days, value=found["value"], limit=found["limit"])


def _unanswered(reason: Any, protocol: Any) -> str | None:
    found = _UNANSWERED.match(str(reason.text))
    if found is None:
        return None
    prefix = "session." if str(reason.rule) == "missing.session" else "morning."
    labels = [item_label(prefix + key.strip()) for key in found["keys"].split(",")]
    items = ", ".join(labels)
    if prefix == "session.":
        return _("Not answered: {items}. The session cannot count as good.").format(items=items)
    return _("Not answered: {items}. Counted as not met: no moving up today.").format(items=items)


def _missing_session(reason: Any, protocol: Any) -> str | None:
    if str(reason.text).startswith("Tightness after the session not answered"):
        return _("Tightness after the session not answered: the session cannot count as good.")
    return _unanswered(reason, protocol)


def rest_streak_count(reason: Any) -> int | None:
    """The number of rest mornings in a row a ``morning.p3.repeat`` reason counted, or None
    for its "held at the first stage" note (which counts nothing)."""
    found = _REST_STREAK.match(str(reason.text))
    return int(found["count"]) if found is not None else None


def first_stage_held_words(count: int | None) -> str:
    """The step back that rest mornings call for, held at the first stage (nothing is below
    it): with the number of rest mornings when known."""
    if count is None:
        return _("Rest days in a row: you stay at this first stage for now.")
    return ngettext(
        "{count} rest day in a row: you stay at this first stage for now.",
        "{count} rest days in a row: you stay at this first stage for now.",
        count,
    ).format(count=count)


def _rest_streak(reason: Any, protocol: Any) -> str | None:
    if str(reason.text).startswith(FIRST_STAGE_HELD):
        # The step back the rest mornings call for, at the first stage: nothing below it.
        return first_stage_held_words(None)
    count = rest_streak_count(reason)
    if count is None:
        return None
    return ngettext(
        "{count} rest day in a row: we go back one stage for a few days.",
        "{count} rest days in a row: we go back one stage for a few days.",
        count,
    ).format(count=count)


def _rest_review(reason: Any, protocol: Any) -> str | None:
    count = reason.observed
    if not isinstance(count, int) or isinstance(count, bool):
        return None
    return ngettext(
        "Pain or tightness has kept you resting {count} morning in a row: no running until "
        "your clinician has reviewed you.",
        "Pain or tightness has kept you resting {count} mornings in a row: no running until "
        "your clinician has reviewed you.",
        count,
    ).format(count=count)


def _grade(reason: Any, protocol: Any) -> str | None:
    found = _GRADE.match(str(reason.text))
    if found is None:
        return None
    return _(
        "Your injury grade ({grade}) is beyond what this standard programme is made for (up to "
        "{max}): your clinician should adapt it."
    ).format(grade=found["grade"], max=found["max"])


def _mechanism(reason: Any, protocol: Any) -> str | None:
    if reason.observed != "stretch":
        return None
    return _(
        "Your injury happened by overstretching, which this standard programme is not made "
        "for: your clinician should adapt it."
    )


def _reinjury(reason: Any, protocol: Any) -> str | None:
    back = str(reason.threshold or "")
    if protocol is None or not has_stage(protocol, back):
        return None
    return _(
        "Because this happened in full training, you go back to {stage}: after your clinician's "
        "review, the sprint re-test and their OK are needed again."
    ).format(stage=stage_label(protocol, back))


def _no_running_why(reason: Any) -> str | None:
    why = _NO_RUNNING_WHY.get(str(reason.observed))
    return _(why) if why is not None else None


def _ran_anyway(reason: Any, protocol: Any) -> str | None:
    if str(reason.observed) in _PLAN_HAD_NO_RUNNING:
        return _(
            "Today's plan had no running, so that run is saved but does not count towards "
            "moving on, and your clinician has been told. Please run only when your session "
            "includes it: /plan shows today's."
        )
    key = str(reason.observed)
    if key == "missing":
        # No check-in that day, or one sent after the run (engine.programme: judged as a day
        # without one): "a rest day" would be untrue, and so would "there was none" later on.
        return _(
            "That run came when there was no morning check-in yet, so it is saved but does not "
            "count towards moving on, and your clinician has been told. Please check in before "
            "you train: the check-in says what to run that day."
        )
    why = _no_running_why(reason)
    if why is None:
        return None
    if key in ("stop", "awaiting clinician review"):
        # Running comes back with the clinician's review, not with a morning check-in.
        return _(
            "That run was on a day without running ({why}), so it is saved but does not count "
            "towards moving on, and your clinician has been told. Running starts again only "
            "after their review."
        ).format(why=why)
    if key == "paused":
        return _(
            "That run was on a day without running ({why}), so it is saved but does not count "
            "towards moving on, and your clinician has been told. Running starts again when "
            "your clinician resumes your programme."
        ).format(why=why)
    return _(
        "That run was on a day without running ({why}), so it is saved but does not count "
        "towards moving on, and your clinician has been told. Rest days let the muscle "
        "recover: your morning check-in tells you when running is back."
    ).format(why=why)


def _against_plan(reason: Any, protocol: Any) -> str | None:
    if str(reason.observed) == "missing":
        return _(
            "This session came when there was no morning check-in yet: it is saved, but it does "
            "not count towards moving on."
        )
    why = _no_running_why(reason)
    if why is None:
        return None
    return _(
        "This session was on a day without running ({why}): it is saved, but it does not count "
        "towards moving on."
    ).format(why=why)


def _early_full_training(reason: Any, protocol: Any) -> str | None:
    return _(
        "Full team or event training comes at a later stage of your plan. This session is "
        "saved, but it does not count towards moving on, and your clinician has been told. "
        "Until then, please keep to the sessions in your plan."
    )


_CAP = re.compile(r"above today's limit of (?P<cap>\d+(?:\.\d+)?) %")


def _over_cap(reason: Any, protocol: Any) -> str | None:
    cap = _CAP.search(str(reason.text))
    if cap is None or _number(reason.observed) is None:
        return None
    return _(
        "You reached {pct} of your top speed, above today's limit of {cap}. The session is "
        "saved, but it does not count towards moving on, and your clinician has been told. "
        "Please stay within today's target times."
    ).format(pct=format_percent(float(reason.observed), 1), cap=format_percent(float(cap["cap"])))


_NEEDED_HOURS = re.compile(r"^≥ (?P<hours>\d+) h$")


def _inside_rest(reason: Any, protocol: Any) -> str | None:
    needed = _NEEDED_HOURS.match(str(reason.threshold or ""))
    hours = _number(reason.observed)
    if needed is None or hours is None:
        return None
    return _(
        "This fast session came {hours} h after your last one; this stage needs at least "
        "{needed} h of rest in between. The session is saved, but it does not count towards "
        "moving on. The rest days are when the muscle recovers: please keep them."
    ).format(hours=hours, needed=needed["hours"])


def _reading(text: str) -> str | None:
    if found := SPEED_TOP.match(text):
        return _("top speed {pct} of your baseline").format(pct=format_percent(float(found["pct"])))
    if found := SPEED_SPLIT.match(text):
        return _("{distance} split {seconds} s, {pct} faster than your baseline").format(
            distance=found["dist"],
            seconds=format_decimal(float(found["s"])),
            pct=format_percent(float(found["pct"])),
        )
    if found := SPEED_SPLIT_OVER_TOP.match(text):
        return _("{distance} split {seconds} s, faster than your top speed allows").format(
            distance=found["dist"], seconds=format_decimal(float(found["s"]))
        )
    return None


def _conflict(text: str) -> str | None:
    found = _SPLITS_CONFLICT.match(text)
    if found is None:
        return None
    second = _("{distance} split {seconds} s").format(
        distance=found["d2"], seconds=format_decimal(float(found["t2"]))
    )
    if found["d1"] is not None:
        first = _("{distance} split {seconds} s").format(
            distance=found["d1"], seconds=format_decimal(float(found["t1"]))
        )
        second = _("{first} and {second}").format(first=first, second=second)
    if found["top"] is None:
        return second
    return _("{splits} with top speed {speed} m/s").format(
        splits=second, speed=format_decimal(float(found["top"]))
    )


def _worded_parts(reason: Any, word: Callable[[str], str | None]) -> str | None:
    """The reason's observed readings ("a; b") each in words, joined again; None when one of
    them is not in a form ``word`` knows."""
    parts = [word(part) for part in str(reason.observed or "").split("; ")]
    if not parts or any(p is None for p in parts):
        return None
    return "; ".join(map(str, parts))


def _conflicting(reason: Any, protocol: Any) -> str | None:
    """Splits that do not add up (engine.plausibility): the athlete checks the times."""
    times = _worded_parts(reason, _conflict)
    if times is None:
        return None
    return _(
        "Some of your times do not add up ({times}): please check them. They are saved, but "
        "not used to decide anything."
    ).format(times=times)


def _unconfirmed(reason: Any, protocol: Any) -> str | None:
    readings = _worded_parts(reason, _reading)
    if readings is None:
        return None
    return _(
        "Some readings look faster than your baseline allows ({readings}): please check your "
        "device. They are saved, but not used to decide anything."
    ).format(readings=readings)


# A leg pair read the other way round (engine.programme._lower_leg): the exercise as the
# record names it (engine.programme.LOWER_LEG_EXERCISE), in the reader's words (alerts too).
_LOWER_LEG = re.compile(r"^(?P<what>Single-leg heel raises|Single-leg bridges): the injured side")
_LOWER_LEG_COUNTS = re.compile(r"^(?P<injured>\d+)/(?P<other>\d+)$")
LOWER_LEG_EXERCISE: dict[str, str] = {
    "Single-leg heel raises": N_("Single-leg heel raises"),
    "Single-leg bridges": N_("Single-leg bridges"),
}


def _lower_leg(reason: Any, protocol: Any) -> str | None:
    what = _LOWER_LEG.match(str(reason.text))
    counts = _LOWER_LEG_COUNTS.match(str(reason.observed or ""))
    if what is None or counts is None:
        return None
    return _(
        "{exercise}: your injured leg ({injured}) did more than your other leg ({other}). That "
        "is unusual after this injury and often means the two counts were typed the wrong way "
        "round, so the lower count ({other}) is the one counted for your injured leg. If your "
        "injured leg really did more, tell your clinician: they can check it and move you on."
    ).format(
        exercise=_(LOWER_LEG_EXERCISE[what["what"]]),
        injured=counts["injured"],
        other=counts["other"],
    )


def _session_pain(reason: Any, protocol: Any) -> str | None:
    pain = _number(reason.observed)
    if pain is None:
        return None
    rule = str(reason.rule)
    if rule == "session.red":
        return _("Session pain {pain}/10: we go back one stage.").format(pain=pain)
    if rule == "session.amber":
        return _("Session pain {pain}/10: repeat the session; no moving up yet.").format(pain=pain)
    if rule == "session.amber.hv":
        return _("Pain {pain}/10 at high speed: drop back to the previous intensity.").format(
            pain=pain
        )
    return _("Pain 1 h after the session: {pain}/10. We go back one stage.").format(pain=pain)


def _tightness_after(reason: Any, protocol: Any) -> str | None:
    if str(reason.text).startswith("No tightness baseline"):
        return _("No usual tightness to compare with yet: the session cannot count as good.")
    value = _number(reason.observed)
    if value is None:
        return None
    return _(
        "Tightness {value}/10 after the session, above your usual: the session does not count "
        "as good."
    ).format(value=value)


def _review(reason: Any, protocol: Any) -> str | None:
    text = str(reason.text)
    if text.startswith("Your clinician has reviewed you: running may start again"):
        return _(
            "Your clinician has reviewed you: running may start again. What is usual for you "
            "is learned afresh from your next good mornings."
        )
    if text.startswith("Your clinician has reviewed you"):
        # The stop is lifted on a day whose plan has no running (a rest morning, a step back
        # to a stage without running, a stage before running, a new stop):
        # engine.programme._agree_with_the_day.
        return _(
            "Your clinician has reviewed you. What is usual for you is learned afresh from "
            "your next good mornings."
        )
    return _("Your clinician recorded a review.")


def _clinician_step_back(reason: Any, protocol: Any) -> str | None:
    back = str(reason.threshold or "")
    if protocol is not None and has_stage(protocol, back):
        return _("Your clinician moved you back to {stage}.").format(
            stage=stage_label(protocol, back)
        )
    return _("Your clinician asked for a step back; this is already the first stage.")


# Days without a run at the stage's speed, check-ins or not (engine.programme._after_gap,
# _final_gap with ``no_run``): a gap as well, for someone who may have checked in every day.
_NO_RUN = "No run at this stage's speed for "


def _no_run_gap(reason: Any, days: int) -> str:
    """The restart or the step back after days without a run at the stage's speed: never
    "welcome back" to someone who went on checking in."""
    if reason.rule == "gap.step_back":
        return ngettext(
            "No run at this stage's speed reported for {count} day: speed fades in that time, "
            "so what the stage below needs is earned again.",
            "No run at this stage's speed reported for {count} days: speed fades in that time, "
            "so what the stage below needs is earned again.",
            days,
        ).format(count=days)
    return ngettext(
        "No run at this stage's speed reported for {count} day: speed fades in that time, so "
        "what this stage needs (results, sessions and days) is earned again before you move "
        "up, and your first run back is an easier one.",
        "No run at this stage's speed reported for {count} days: speed fades in that time, so "
        "what this stage needs (results, sessions and days) is earned again before you move "
        "up, and your first run back is an easier one.",
        days,
    ).format(count=days)


def _gap(reason: Any, protocol: Any) -> str | None:
    """Back after a week or more away, or after a week or more without a run at the stage's
    speed (engine.programme._after_gap): what the stage needs is earned again, after two
    weeks one stage lower (the step back has its own sentence)."""
    days = reason.observed
    if not isinstance(days, int):
        return None
    if str(reason.text).startswith(_NO_RUN):
        return _no_run_gap(reason, days)
    if reason.rule == "gap.step_back":
        return ngettext(
            "Welcome back: after {count} day away from the plan, fitness has faded, so you "
            "restart one stage lower and earn what it needs again.",
            "Welcome back: after {count} days away from the plan, fitness has faded, so you "
            "restart one stage lower and earn what it needs again.",
            days,
        ).format(count=days)
    return ngettext(
        "Welcome back: after {count} day away from the plan, what this stage needs (results, "
        "sessions and days) is earned again before you move up.",
        "Welcome back: after {count} days away from the plan, what this stage needs (results, "
        "sessions and days) is earned again before you move up.",
        days,
    ).format(count=days)


_RETURN_HOURS = re.compile(r"usual sessions return (\d+) h after that run")


def _final_gap(reason: Any, protocol: Any) -> str | None:
    """Back after a week or more away, or without a run at the stage's speed, at the final
    stage (engine.programme._final_gap): the stage stays, the next session is capped and
    without matches, and the usual sessions return once the easy time after that run has
    passed (its hours are in the engine's sentence)."""
    days = reason.observed
    if not isinstance(days, int):
        return None
    hours = _RETURN_HOURS.search(str(reason.text))
    if str(reason.text).startswith(_NO_RUN):
        if hours is None:
            return None
        return ngettext(
            "No run at this stage's speed reported for {count} day: speed fades in that time, "
            "so your next session stays below full speed, without full team or event training "
            "or matches, while your muscle gets used to speed again. Your usual sessions "
            "return {hours} hours after that run.",
            "No run at this stage's speed reported for {count} days: speed fades in that time, "
            "so your next session stays below full speed, without full team or event training "
            "or matches, while your muscle gets used to speed again. Your usual sessions "
            "return {hours} hours after that run.",
            days,
        ).format(count=days, hours=hours.group(1))
    if hours is None:
        # A decision recorded before the easy day after the first run back existed.
        return ngettext(
            "Welcome back: after {count} day away from the plan, your first session back stays "
            "below full speed, without full team or event training or matches, so your muscle "
            "gets used to speed again. Your usual sessions follow once you have run.",
            "Welcome back: after {count} days away from the plan, your first session back "
            "stays below full speed, without full team or event training or matches, so your "
            "muscle gets used to speed again. Your usual sessions follow once you have run.",
            days,
        ).format(count=days)
    return ngettext(
        "Welcome back: after {count} day away from the plan, your first session back stays "
        "below full speed, without full team or event training or matches, so your muscle gets "
        "used to speed again. Your usual sessions return {hours} hours after that run.",
        "Welcome back: after {count} days away from the plan, your first session back stays "
        "below full speed, without full team or event training or matches, so your muscle gets "
        "used to speed again. Your usual sessions return {hours} hours after that run.",
        days,
    ).format(count=days, hours=hours.group(1))


def _clear(reason: Any, protocol: Any) -> str | None:
    # A clearance after a stop lifts the stop only (its other form is a plain sign-off).
    if str(reason.text).startswith("Your clinician has reviewed you"):
        return _review(reason, protocol)
    return None


_WORDERS: dict[str, Worder] = {
    "clinician.clear": _clear,
    "gate.1": _on_hold,
    "morning.p5.hooper_abs": _hooper_floor,
    "morning.p6.hooper_abs": _hooper_floor,
    "morning.p5.hooper_z": _hooper_usual,
    "morning.p6.hooper_z": _hooper_usual,
    "morning.p5.hooper_item": _hooper_item,
    "morning.p5.sleep": _sleep,
    "morning.p6.sleep": _sleep,
    "morning.p7": _confidence,
    "missing.answer": _unanswered,
    "missing.session": _missing_session,
    "morning.p3.repeat": _rest_streak,
    "morning.p3.review": _rest_review,
    "protocol.grade": _grade,
    "protocol.mechanism": _mechanism,
    "stop.reinjury": _reinjury,
    "session.no_run": _no_run,
    "morning.usual_tightness": _usual_tightness_today,
    "morning.p3.tightness_running": _tightness_running,
    "gate.tightness_running": _tightness_running,
    "gate.tightness_usual": _tightness_usual,
    "stall": _stall,
    "clinician.usual_tightness": _usual_tightness_accepted,
    "session.flag.no_running": _ran_anyway,
    "session.against_plan": _against_plan,
    "session.flag.over_cap": _over_cap,
    "session.flag.full_training": _early_full_training,
    "session.flag.rest": _inside_rest,
    "session.flag.unconfirmed": _unconfirmed,
    "session.flag.conflicting": _conflicting,
    "metric.lower_leg": _lower_leg,
    "session.red": _session_pain,
    "session.amber": _session_pain,
    "session.amber.hv": _session_pain,
    "session.red.pain_1h": _session_pain,
    "session.green.tightness": _tightness_after,
    "clinician.review": _review,
    "clinician.step_back": _clinician_step_back,
    "gap.restart": _gap,
    "gap.step_back": _gap,
    "gap.final": _final_gap,
}


def _find_trigger(protocol: Any, rule: str) -> Any | None:
    for stage in getattr(protocol, "stages", ()):
        for trigger in stage.regression_triggers:
            if trigger.id == rule:
                return trigger
    return None


def _trigger(reason: Any, protocol: Any) -> str | None:
    """A protocol's regression trigger that fired, with what the engine did about it
    (engine.programme._trigger's three endings)."""
    trigger = _find_trigger(protocol, str(reason.rule))
    if trigger is None:
        return None
    what = capitalised(describe_criterion(trigger, "athlete"))
    text = str(reason.text)
    if text.endswith(": step back to the previous stage."):
        return _("{trigger}: we go back one stage for a few days.").format(trigger=what)
    if text.endswith(": hold."):
        return _("{trigger}: you stay at this stage today.").format(trigger=what)
    if text.endswith(": clinician notified, stage held."):
        return _("{trigger}: your clinician has been told, and you stay at this stage.").format(
            trigger=what
        )
    return None


def reason_words(reason: Any, protocol: Any) -> str | None:
    """Return the reason's sentence for the athlete in the current language, or None when
    this module does not know its rule or the form of its sentence."""
    rule = str(reason.rule)
    if rule.startswith(_RED_FLAG_RULE):
        return _("You reported a warning sign: stop training, your clinician has been alerted.")
    fixed = _FIXED.get(rule)
    if fixed is not None:
        return _(fixed)
    worder = _WORDERS.get(rule)
    if worder is not None:
        return worder(reason, protocol)
    return _trigger(reason, protocol)
