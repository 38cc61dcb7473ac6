"""The clinician PDF report keeps every line inside the page's text width (180 mm between
15 mm margins): headings, the athlete's name and the names, stage labels and protocol titles
in the tables wrap onto further lines instead of running off the page. Checked where each
character prints (PDFium) and against the text read back (pypdf), for every stage of the
shipped protocols in every language."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from matplotlib.image import imsave

from bot.reports.data import AlertRow, RecordRow, ReportData, StageEntry
from bot.reports.report_pdf import render_report_pdf
from bot.services.protocol_files import load_protocol
from bot.support.i18n import _, use_language
from bot.wording import protocol_text, stage_label
from tests.reports.factories import make_report
from tests.reports.pdf_pages import flat, pdf_text, printed_chars, text_outside

LANGUAGES = ("en", "es", "pt", "fr", "de")
MARGIN_PT = 15 / 25.4 * 72
# A realistic Telegram name: first and last name each within Telegram's 64 characters, in
# capitals and wide letters (101 characters in all).
LONG_NAME = (
    "Wolfeschlegelsteinhausenbergerdorff-Maximiliana "
    "WOLFESCHLEGELSTEINHAUSENBERGERDORFF-MÜLLER-WESTERMANN"
)
# The widest a name can be as the report's data holds it: 80 capital W's, no space to
# break at (ReportData.athlete_name has at most 80 characters).
WIDEST_NAME = "W" * 80


def _solid(text: str) -> str:
    """Text without its spaces and line breaks: a word too long for its line is broken
    inside it, so the text read back has a line break where the name had none."""
    return "".join(text.split())


def outside(pdf: bytes) -> list[str]:
    """The runs of text that print in the page's side margins or off the page."""
    return text_outside(pdf, MARGIN_PT)


@cache
def _chart_png() -> bytes:
    """A small PNG standing in for the progress chart (the layout only needs its shape)."""
    out = io.BytesIO()
    imsave(out, np.full((30, 60, 3), 0.8), format="png")
    return out.getvalue()


def _with_stage(data: ReportData, label: str, stage: str, title: str) -> ReportData:
    """``data`` with its stage labels (identity, timeline, criteria) and protocol title set
    as report_data_for sets them (stage_label(..., "clinician")[:80])."""
    timeline = [
        entry.model_copy(update={"stage": stage, "stage_label": label}) for entry in data.timeline
    ]
    return data.model_copy(
        update={
            "protocol_name": title,
            "current_stage": stage,
            "current_stage_label": label,
            "criteria_stage": stage,
            "criteria_stage_label": label,
            "timeline": timeline,
        }
    )


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_every_stage_heading_is_printed_whole_inside_the_text_width(name: str, lang: str) -> None:
    protocol = load_protocol(name)
    base = make_report(30, alerts=4)
    problems: list[str] = []
    for stage in protocol.stages:
        with use_language(lang):
            label = stage_label(protocol, stage.id, "clinician")[:80]
            data = _with_stage(base, label, stage.id, protocol_text(protocol.title))
            heading = _("What is needed to leave {stage}").format(stage=label)
            pdf = render_report_pdf(data)
        text = flat(" ".join(pdf_text(pdf)))
        if flat(heading) not in text:
            problems.append(f"{stage.id}: heading {heading!r} not printed whole")
        if flat(label) not in text:
            problems.append(f"{stage.id}: stage label {label!r} not printed whole")
        problems += [f"{stage.id}: outside the text width: {run}" for run in outside(pdf)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_fixed_headings_titles_and_footer_fit_the_text_width_in_every_language(
    lang: str,
) -> None:
    # Every section (the chart's too) with its heading, in the reader's language.
    with use_language(lang):
        pdf = render_report_pdf(make_report(30, alerts=4), _chart_png())
        headings = [
            _("Return-to-sprint report"),
            _("Athlete and injury"),
            _("Stage timeline: who moved the athlete, and why"),
            _("Metrics against the pre-injury baseline"),
            _("Pain and readiness"),
            _("Progress chart"),
            _("Alerts and how they were handled"),
            _("Clinician's record: every action, its author and reason"),
        ]
    text = flat(" ".join(pdf_text(pdf)))
    assert [h for h in headings if flat(h) not in text] == []
    assert outside(pdf) == []


@pytest.mark.parametrize("athlete_name", [LONG_NAME[:79] + "…", WIDEST_NAME])
def test_a_long_athlete_name_is_printed_whole_inside_the_text_width(athlete_name: str) -> None:
    data = make_report(30).model_copy(
        update={"athlete_name": athlete_name, "athlete_ref": "@" + "w" * 59}
    )
    pdf = render_report_pdf(data, _chart_png())
    pages = pdf_text(pdf)
    assert _solid(f"{athlete_name} (@{'w' * 59})") in _solid(pages[0])
    assert outside(pdf) == []


def test_a_101_character_telegram_name_is_printed_whole() -> None:
    data = make_report(30).model_copy(update={"athlete_name": LONG_NAME})
    data = ReportData.model_validate(data.model_dump())
    pdf = render_report_pdf(data)
    assert _solid(LONG_NAME) in _solid(pdf_text(pdf)[0])
    assert outside(pdf) == []


def test_names_stage_labels_and_titles_at_their_longest_stay_inside_the_text_width() -> None:
    # Every text a person or a protocol provides, as long as the report's data allows and
    # in wide letters without a space to break at.
    base = make_report(30, alerts=2, clearances=1, notes=0)
    who = "W" * 60
    label = "M" * 80
    data = _with_stage(base, label, "H2", "W" * 160).model_copy(
        update={
            "athlete_name": WIDEST_NAME,
            "athlete_ref": "@" + "W" * 59,
            "clinician_name": who,
            "protocol_version": "9" * 30,
            "timeline": [
                StageEntry(
                    stage="H2",
                    stage_label=label,
                    entered=base.timeline[-1].entered,
                    at=base.timeline[-1].at,
                    moved_by=who,
                    reason="W" * 300,
                )
            ],
            "alerts": [
                AlertRow(
                    at=base.generated_at,
                    severity="emergency",
                    text="W" * 400,
                    acknowledged_by=who,
                    acknowledged_at=base.generated_at,
                    action="W" * 300,
                )
            ],
            "record": [RecordRow(at=base.generated_at, action="W" * 120, by=who, text="W" * 390)],
            "still_needed": ["W" * 160],
        }
    )
    pdf = render_report_pdf(data, _chart_png())
    text = _solid(" ".join(pdf_text(pdf)))
    for value in (WIDEST_NAME, who, label, "W" * 160):
        assert value in text
    assert outside(pdf) == []


def _gap_after(pdf: bytes, word: str, following: str) -> float:
    """The printed gap (pt) between ``word`` and the word after it on page 1."""
    chars = printed_chars(pdf)[0][1]
    text = "".join(c.char for c in chars)
    start = text.index(f"{word} {following}")
    return chars[start + len(word) + 1].left - chars[start + len(word) - 1].right


def test_a_wrapped_heading_keeps_its_style_flush_left_not_justified() -> None:
    protocol = load_protocol("hamstring")
    with use_language("de"):
        label = stage_label(protocol, "H5", "clinician")
        pdf = render_report_pdf(_with_stage(make_report(30), label, "H5", "hamstring"))
    text = flat(pdf_text(pdf)[0])
    assert "Was nötig ist, um H5 · Maximalsprint" in text
    # One space between words (DejaVu Sans Bold at 11.5 pt: about 4 pt), as on a single line.
    assert _gap_after(pdf, "Was", "nötig") < 6
