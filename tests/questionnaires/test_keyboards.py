"""Buttons: callback data fits Telegram's 64 bytes and names the questionnaire and step."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.athlete.keyboards import Press, pack, question_keyboard, unpack
from bot.services.questionnaires import MORNING, QUESTIONNAIRES
from bot.services.questionnaires.model import QuestionContext

CTX = QuestionContext(
    injury="calf", stage="C3", today=dt.date(2026, 3, 10), stage_checks=("walk_pain", "limp")
)
BIG_ID = 9_223_372_036_854_775_807  # the largest BIGINT a progress id can be


@pytest.mark.parametrize("name", list(QUESTIONNAIRES))
def test_every_button_fits_in_64_bytes_and_decodes_to_its_step(name: str) -> None:
    questionnaire = QUESTIONNAIRES[name]
    answers = {"injury": "calf", "tz_region": "Americas", "metrics": {"vmax_ms": 8.0}}
    for index, question in enumerate(questionnaire.questions):
        options = question.render_options(CTX, answers)
        markup = question_keyboard(BIG_ID, index, question, options, ticked=(0,))
        if markup is None:
            assert not options
            continue
        for row in markup.inline_keyboard:
            for button in row:
                assert isinstance(button.callback_data, str)
                assert len(button.callback_data.encode()) <= 64
                press = unpack(button.callback_data)
                assert press is not None
                assert (press.progress_id, press.step) == (BIG_ID, index)


def test_pack_and_unpack() -> None:
    assert unpack(pack(12, 3, "7")) == Press(12, 3, "answer", 7)
    assert unpack(pack(12, 0, "t2")) == Press(12, 0, "toggle", 2)
    assert unpack(pack(12, 0, "ok")) == Press(12, 0, "submit")
    assert unpack(pack(12, 0, "no")) == Press(12, 0, "none")
    for junk in (None, "", "q:1:2", "q:a:1:1", "x:1:1:1", "q:1:1:1:1", "q:1:1:zz"):
        assert unpack(junk) is None
    with pytest.raises(ValueError):
        pack(1, 1, "a" * 70)


def test_scales_are_two_rows_and_hooper_has_anchors_on_the_ends() -> None:
    pain = MORNING.question("pain_rest")
    markup = question_keyboard(1, 1, pain, pain.render_options(CTX, {}))
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]
    sleep = MORNING.question("sleep_quality")
    markup = question_keyboard(1, 5, sleep, sleep.render_options(CTX, {}))
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows[0] == ["1 · very, very good"] and rows[-1] == ["7 · very, very bad"]
    assert rows[1] == ["2", "3", "4", "5", "6"]


def test_multi_select_shows_ticks_and_none_and_done() -> None:
    flags = MORNING.question("red_flags")
    markup = question_keyboard(5, 0, flags, flags.render_options(CTX, {}), ticked=(1,))
    assert markup is not None
    texts = [b.text for row in markup.inline_keyboard for b in row]
    assert texts[1].startswith("☑️") and texts[0].startswith("▫️")
    assert texts[-2].startswith("None of these") and texts[-1] == "Done"
