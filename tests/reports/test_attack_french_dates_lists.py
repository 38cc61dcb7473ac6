"""French in the PDF report and the weekly digest: the first of a month is "1er mars" (CLDR
writes "1 mars", which a French reader reads as a mistake), and a list whose items hold
commas is joined with a semicolon preceded by a narrow no-break space ("a ; b"), as French
sets it; the other languages keep "a; b" and "1 Mar"."""

from __future__ import annotations

import datetime as dt

from bot.reports.data import BaselineChange, DigestAthleteWeek, DigestData
from bot.reports.digest import RedFlagSeen, WeekDetail, render_digest
from bot.reports.report_pdf import render_report_pdf
from bot.reports.words import date_range, first_of_month, short_date
from bot.support.i18n import use_language
from tests.reports.factories import make_report
from tests.reports.pdf_pages import flat, pdf_text

MONDAY = dt.date(2026, 6, 1)  # a Monday, and the first of June
NNBSP = "\u202f"


def _pdf(lang: str) -> str:
    base = make_report(20)
    data = base.model_copy(
        update={
            "baseline_changes": [
                BaselineChange(
                    at=base.generated_at, changes=["Vmax: 9 m/s → 8,5 m/s", "10 m: 1,8 s → 1,9 s"]
                )
            ]
        }
    )
    with use_language(lang):
        return flat(" ".join(pdf_text(render_report_pdf(data))))


def test_the_french_report_writes_the_first_of_march_as_1er() -> None:
    text = _pdf("fr")
    assert "1er mars 2026 (jour" in text, text  # the injury date
    assert " 1 mars" not in text, text
    english = _pdf("en")
    assert "1 Mar 2026 (day" in english, english


def test_the_french_report_sets_a_space_before_each_semicolon_of_a_list() -> None:
    # The PDF's text, read back, has the narrow no-break space as a space.
    text = _pdf("fr")
    assert "3 more days in this stage ; HV reps 3 or more" in text, text
    assert "9 m/s → 8,5 m/s ; 10 m" in text, text
    for lang in ("en", "de"):
        assert "3 more days in this stage; HV reps 3 or more" in _pdf(lang)


def _digest_text(lang: str, week_start: dt.date = MONDAY) -> str:
    week = DigestAthleteWeek(
        athlete_id=4,
        athlete_name="Sam",
        stage_start="H2",
        stage_end="H1",
        step_backs=2,
        red_flags=2,
        sessions_done=2,
        mean_test_pain=2.0,
        signoff_pending=True,
    )
    data = DigestData(
        clinician_name="Dr Lee",
        timezone="Europe/Paris",
        week_start=week_start,
        week_end=week_start + dt.timedelta(days=6),
        athletes=[week],
    )
    detail = WeekDetail(
        step_backs=(("H3 · a", "H2 · b"), ("H2 · b", "H1 · c")),
        red_flags=(RedFlagSeen("new swelling"), RedFlagSeen("night pain, bruising", True)),
    )
    with use_language(lang):
        return render_digest(data, {4: detail})


def test_the_french_digest_week_starting_on_the_first_says_1er() -> None:
    text = _digest_text("fr")
    assert "1er–7 juin 2026" in text, text
    ends_on_first = _digest_text("fr", dt.date(2026, 2, 23))
    assert "23 févr. – 1er mars 2026" in ends_on_first.replace("\u2009", " "), ends_on_first
    assert "Week 1\u2009–\u20097 Jun 2026" in _digest_text("en")


def test_the_french_digest_joins_reasons_and_moves_as_french_sets_them() -> None:
    text = _digest_text("fr")
    first = text.split("\n")[4]
    assert f"{NNBSP}; " in first and " ; " not in first.replace(f"{NNBSP}; ", ""), first
    assert "; " not in first.replace(f"{NNBSP}; ", ""), first
    english = _digest_text("en").split("\n")[4]
    assert NNBSP not in english and "; " in english, english


def test_date_helpers_only_touch_the_day_one_in_french() -> None:
    with use_language("fr"):
        assert short_date(dt.date(2026, 3, 1)) == "1er mars"
        assert short_date(dt.date(2026, 3, 11), year=True) == "11 mars 2026"
        assert short_date(dt.date(2021, 3, 1), year=True) == "1er mars 2021"
        assert date_range(dt.date(2026, 3, 11), dt.date(2026, 3, 17)) == "11–17 mars 2026"
    with use_language("es"):
        assert short_date(dt.date(2026, 3, 1)) == "1 mar"
    assert first_of_month("1 Mar", dt.date(2026, 3, 1), lang="en") == "1 Mar"
