"""The English-leak checker itself: it flags English and leaves translated lines alone."""

from __future__ import annotations

from tests.i18n.leaks import english_words, leaks


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
