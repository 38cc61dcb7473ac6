"""The English-leak checker itself: it flags English and leaves translated lines alone."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from tests.i18n.leaks import (
    decimal_point_leaks,
    english_words,
    leaks,
    source_fragments,
    source_leaks,
)


def test_an_english_line_is_flagged_with_its_words() -> None:
    found = leaks(["Guten Morgen, Sam!\nHow did today's session go? Tap the answer."])
    assert [(f.line, f.words) for f in found] == [
        ("How did today's session go? Tap the answer.", ("how", "the"))
    ]
    assert "English: how, the" in str(found[0])


def test_translated_lines_names_units_and_numbers_pass() -> None:
    assert not leaks(
        [
            "Wie lief das heutige Training? Tippe die Antwort an.",
            "Höchstgeschwindigkeit 8,7 m/s, 10 m 1,82 s — 91 % von Sam's Bestwert",
            "Sí: hoy entrenas como estaba previsto. /status muestra el resto.",
            "Bonjour Dr Lee : le PDF de #3 est prêt (Vmax 8,7 m/s).",
            "Você pode pausar o programa em /pause.",
        ]
    )


def test_one_english_word_alone_is_not_enough() -> None:
    assert english_words("Sprintback: the") == ("the",)
    assert not leaks(["Sprintback: the"])


def _german() -> Catalog:
    catalogue = Catalog(locale="de")
    catalogue.add("walking pain", "Schmerz beim Gehen")
    catalogue.add("Walking as tolerated", "Gehen, soweit verträglich", context="protocol")
    catalogue.add("Australian Football", "Australian Football")  # the same in German
    catalogue.add("{n} reps at {pct} % of top speed", "{n} Wdh. bei {pct} % Höchsttempo")
    return catalogue


def test_an_english_source_text_without_function_words_is_flagged() -> None:
    fragments = source_fragments(_german())
    assert "walking pain" in fragments and "australian football" not in fragments
    assert "% of top speed" in fragments
    found = source_leaks(
        [
            "✓ Walking pain: 1",
            "• Walking as tolerated: 10–20 min",
            "3 × 5 at 70 % of top speed",
            "✓ Schmerz beim Gehen: 1",
            "✓ Sportart: Australian Football",
            "Sleepwalking painfully",  # word-bounded: no match inside words
        ],
        fragments,
    )
    assert [leak.line for leak in found] == [
        "✓ Walking pain: 1",
        "• Walking as tolerated: 10–20 min",
        "3 × 5 at 70 % of top speed",
    ]
    assert not leaks([leak.line for leak in found]), "the function-word check misses these"


def test_a_decimal_point_is_flagged_but_dates_and_times_are_not() -> None:
    found = decimal_point_leaks(
        [
            "Höchstgeschwindigkeit (Vmax): 9.1 m/s",
            "Tippe an oder gib ein (z. B. 7.5).",
            "gültig bis 09.03.2026, 09:00 (z. B. 1.3.2026)",
            "Schlaf 7,5 h, 07:30, /timezone Europe/Berlin",
        ]
    )
    assert [leak.words for leak in found] == [("9.1",), ("7.5",)]
