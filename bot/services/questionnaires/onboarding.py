"""Onboarding: consent, injury, sport, baseline, time zone and check-in time, then confirm."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.services import texts
from bot.services.questionnaires.common import answered, choices
from bot.services.questionnaires.dates import (
    INJURY_DATE_AGAIN,
    chosen_zone,
    day_in_zone,
    days_back_answer,
    own_today,
)
from bot.services.questionnaires.model import (
    Answers,
    Option,
    Question,
    QuestionContext,
    Questionnaire,
)
from bot.services.questionnaires.summary import (
    MECHANISM_LABELS,
    SPORTS,
    describe_metrics,
    onboarding_summary,
)
from bot.services.timezones import REGIONS, city_name, region_label
from bot.support.formats import format_long_date
from bot.support.i18n import L_, Text, _, ngettext, text

AGREE = (Option(L_("I agree"), True), Option(L_("I don't agree"), False))
MUSCLES = {
    "hamstring": {
        "biceps_femoris": L_("Biceps femoris (outer)"),
        "semimembranosus": L_("Semimembranosus (inner)"),
        "semitendinosus": L_("Semitendinosus (inner)"),
        "unknown": L_("Don't know"),
    },
    "calf": {
        "soleus": L_("Soleus (deep)"),
        "gastrocnemius": L_("Gastrocnemius"),
        "unknown": L_("Don't know"),
    },
}
GRADES: dict[int | None, Text] = {
    0: "0",
    1: "1",
    2: "2",
    3: "3",
    4: "4",
    None: L_("Not graded / don't know"),
}
CHECKIN_TIMES = ("06:00", "06:30", "07:00", "07:30", "08:00", "08:30", "09:00", "10:00")
CONFIRM = (Option(L_("✅ Confirm"), True), Option(L_("✏️ Start again"), False))
_DETAIL_KEYS = (
    "injury",
    "muscle",
    "side",
    "grade",
    "injury_date",
    INJURY_DATE_AGAIN,
    "mechanism",
    "sport",
    "baseline",
    "tz_region",
    "timezone",
    "checkin_time",
)


# Where onboarding keeps the invitation code it was started with (redeemed at the end).
INVITE_KEY = "_invite"
# The consent to share with the inviting clinician (asked again when the invitation changes).
CONSENT_SHARE_KEY = "consent_share"


def invited(answers: Answers, ctx: QuestionContext) -> bool:
    """The athlete came with a clinician's invitation: only then is sharing asked about."""
    return bool(answers.get(INVITE_KEY))


def _consent_store_prompt(ctx: QuestionContext, answers: Answers) -> str:
    """Who can see the data: a clinician is named only when one invited the athlete."""
    if invited(answers, ctx):
        return str(texts.CONSENT_STORE)
    return str(texts.CONSENT_STORE_NO_CLINICIAN)


def consent_declined(answers: Answers, ctx: QuestionContext) -> bool:
    """The athlete refused a consent: onboarding ends and nothing is kept."""
    return answers.get("consent_store") is False or answers.get("consent_share") is False


def _muscle_options(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    return choices(MUSCLES.get(str(answers.get("injury")), MUSCLES["hamstring"]))


def _date_options(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    return tuple(Option(days_back_label(n), days_back_answer(n, ctx)) for n in range(4))


def days_back_label(days: int) -> str:
    """The words for a day named relative to today: "Today", "Yesterday", "5 days ago"."""
    if days == 0:
        return _("Today")
    if days == 1:
        return _("Yesterday")
    return ngettext("{n} day ago", "{n} days ago", days).format(n=days)


def region_options(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    """The region buttons of the time-zone picker."""
    return tuple(Option(region_label(region), region) for region in REGIONS)


def city_options(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    """The city buttons of the region picked at the previous step, named in the reader's
    language ("Lisboa", "Lissabon")."""
    cities = REGIONS.get(str(answers.get("tz_region")), ())
    return tuple(Option(city_name(city), city.zone) for city in cities)


def region_picked(answers: Answers, ctx: QuestionContext) -> bool:
    """A region button was pressed (not a zone typed or found from a location)."""
    return answers.get("tz_region") in REGIONS


def _summary(ctx: QuestionContext, answers: Answers) -> str:
    return onboarding_summary(answers, chosen_zone(answers))


def _first_injury_date(answers: Answers) -> dt.date | None:
    """The injury date first given, in the zone chosen since (None before one is chosen)."""
    zone = chosen_zone(answers)
    return day_in_zone(answers.get("injury_date"), zone) if zone is not None else None


def _injury_date_after_today(answers: Answers, ctx: QuestionContext) -> bool:
    """Whether the injury date typed before the zone was known is after the athlete's own
    today, now that it is (at 23:00 in Los Angeles, UTC's today is already tomorrow)."""
    first = _first_injury_date(answers)
    return ctx.now is not None and first is not None and first > own_today(ctx, answers)


def _ask_injury_date_again(ctx: QuestionContext, answers: Answers) -> str:
    first = _first_injury_date(answers)
    return texts.ASK_INJURY_DATE_AGAIN.format(
        date=format_long_date(first) if first else "–",
        today=format_long_date(own_today(ctx, answers)),
    )


def timezone_questions(when: Any = None) -> tuple[Question, Question]:
    """The two-step time-zone picker (region, then city), shared with /settings."""

    def outer(answers: Answers, ctx: QuestionContext) -> bool:
        return when is None or bool(when(answers, ctx))

    def both(answers: Answers, ctx: QuestionContext) -> bool:
        return outer(answers, ctx) and region_picked(answers, ctx)

    return (
        Question(
            key="tz_region",
            kind="timezone",
            prompt=texts.ASK_TZ_REGION,
            options=region_options,
            # The echo of a tapped region reads "Region: Europe": a region is no time zone.
            label=L_("Region"),
            when=when,
        ),
        Question(
            key="timezone",
            kind="timezone",
            prompt=texts.ASK_TZ_CITY,
            options=city_options,
            label=L_("Time zone"),
            when=both,
            counted=outer,
        ),
    )


def checkin_time_question(when: Any = None) -> Question:
    """The morning check-in time (local, HH:MM), shared with /settings."""
    return Question(
        key="checkin_time",
        kind="time",
        prompt=texts.ASK_CHECKIN_TIME,
        options=tuple(Option(t, t) for t in CHECKIN_TIMES),
        label=L_("Check-in time"),
        when=when,
    )


ONBOARDING = Questionnaire(
    name="onboarding",
    stop_when=consent_declined,
    questions=(
        Question(
            key="consent_store",
            kind="single",
            prompt=_consent_store_prompt,
            options=AGREE,
            label=L_("Consent to store health data"),
        ),
        Question(
            key=CONSENT_SHARE_KEY,
            kind="single",
            prompt=texts.CONSENT_SHARE,
            options=AGREE,
            label=L_("Consent to share with the clinician"),
            when=invited,
        ),
        Question(
            key="injury",
            kind="single",
            prompt=texts.ASK_INJURY,
            options=(Option(L_("Hamstring"), "hamstring"), Option(L_("Calf"), "calf")),
            label=L_("Injury"),
        ),
        Question(
            key="muscle",
            kind="single",
            prompt=texts.ASK_MUSCLE,
            options=_muscle_options,
            label=L_("Muscle"),
        ),
        Question(
            key="side",
            kind="single",
            prompt=texts.ASK_SIDE,
            options=(Option(L_("Left"), "left"), Option(L_("Right"), "right")),
            label=L_("Side"),
        ),
        Question(
            key="grade",
            kind="single",
            prompt=texts.ASK_GRADE,
            options=choices(GRADES),
            label=L_("Grade"),
        ),
        Question(
            key="injury_date",
            kind="date",
            prompt=texts.ASK_INJURY_DATE,
            options=_date_options,
            label=L_("Injury date"),
        ),
        Question(
            key="mechanism",
            kind="single",
            prompt=texts.ASK_MECHANISM,
            options=choices(MECHANISM_LABELS),
            label=L_("Mechanism"),
        ),
        Question(
            key="sport",
            kind="text",
            prompt=texts.ASK_SPORT,
            options=tuple(Option(s, s.message) for s in SPORTS),
            maximum=60,
            label=L_("Sport"),
        ),
        Question(
            key="baseline",
            kind="metrics",
            prompt=texts.ASK_BASELINE,
            options=(Option(texts.SKIP, {}),),
            label=L_("Baseline"),
        ),
        *timezone_questions(),
        checkin_time_question(),
        Question(
            key=INJURY_DATE_AGAIN,
            kind="date",
            prompt=_ask_injury_date_again,
            options=_date_options,
            label=L_("Injury date"),
            when=_injury_date_after_today,
            substep=True,
            corrects="injury_date",
        ),
        Question(
            key="confirm",
            kind="single",
            prompt=_summary,
            options=CONFIRM,
            label=L_("Confirmed"),
            resets={False: _DETAIL_KEYS},
        ),
    ),
)

SETTINGS = Questionnaire(
    name="settings",
    questions=(
        Question(
            key="setting",
            kind="single",
            prompt=texts.ASK_SETTING,
            options=choices(texts.SETTING_LABELS),
            label=L_("Setting"),
        ),
        *timezone_questions(when=answered("setting", "timezone")),
        checkin_time_question(when=answered("setting", "checkin_time")),
        Question(
            key="language",
            kind="single",
            prompt=texts.ASK_LANGUAGE,
            options=choices(texts.LANGUAGE_LABELS),
            label=L_("Language"),
            when=answered("setting", "language"),
        ),
    ),
)


def _declined(answers: Answers, ctx: QuestionContext) -> bool:
    return answers.get("confirm_1") is False or answers.get("confirm_2") is False


DELETE = Questionnaire(
    name="delete",
    stop_when=_declined,
    questions=(
        Question(
            key="confirm_1",
            kind="single",
            prompt=texts.DELETE_CONFIRM_1,
            options=(Option(texts.DELETE_YES_1, True), Option(texts.DELETE_NO, False)),
            label=L_("Delete"),
        ),
        Question(
            key="confirm_2",
            kind="single",
            prompt=texts.DELETE_CONFIRM_2,
            options=(Option(texts.DELETE_YES_2, True), Option(texts.DELETE_NO, False)),
            label=L_("Delete"),
        ),
    ),
)


def _baseline_prompt(ctx: QuestionContext, answers: Answers) -> str:
    current = describe_metrics(ctx.baseline) if ctx.baseline else text(texts.BASELINE_NONE)
    return texts.ASK_BASELINE_COMMAND.format(current=current)


BASELINE = Questionnaire(
    name="baseline",
    questions=(
        Question(
            key="baseline",
            kind="metrics",
            prompt=_baseline_prompt,
            options=(Option(L_("Keep as it is"), None),),
            label=L_("Baseline"),
        ),
    ),
)
