"""Which characters the report's font can draw.

The PDF report is set in DejaVu Sans (shipped with matplotlib), which has no glyphs for CJK
ideographs, most emoji and some scripts: such a character prints as nothing. A name the font
cannot draw whole is printed with the athlete's number beside it, so the report still says
whose it is (``bot.reports.from_store``). No font is downloaded.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import matplotlib

# The report's faces (bot.reports.report_pdf): regular and bold.
_FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


@cache
def drawn_by_every_face() -> frozenset[int]:
    """The code points that every face of the report's font has a glyph for."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    sets = []
    for face in _FACES:
        with TTFont(folder / face, lazy=True) as font:
            sets.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*sets)


def shown_name(name: str, person_id: int | None) -> str:
    """Return a person's name as the report prints it: the name, or their number ("#5")
    when the font draws none of its characters (a name of emoji or CJK ideographs would
    print as nothing, leaving a blank where the report says who acted)."""
    drawn = drawn_by_every_face()
    visible = [ch for ch in name if not ch.isspace() and unicodedata.category(ch)[0] != "C"]
    if any(ord(ch) in drawn for ch in visible) or person_id is None:
        return name
    return f"#{person_id}"


def drawable(text: str) -> bool:
    """Tell whether the report's font draws every visible character of ``text`` (spaces and
    invisible characters, which the report leaves out, do not count)."""
    drawn = drawn_by_every_face()
    return all(
        ord(ch) in drawn for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "C"
    )
