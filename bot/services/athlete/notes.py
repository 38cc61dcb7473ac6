"""An athlete's own words (/problem) forwarded to their clinicians, whole and unmistakable.

Each clinician reads the note under the athlete's name as the cards show it ("💬 Anna (#2)
wrote to you through Sprintback:", the number when two of their athletes share the name). A
note that does not fit one Telegram message with that heading (a note typed outside any
question can be as long as a Telegram message) is sent in parts, each within the limit, and
every part after the first begins with the athlete's name and the part's number ("(Anna (#2),
continued 2/2)"): a part can never read as a message from another athlete, whatever the note
says. Nothing of the note is dropped.
"""

from __future__ import annotations

from bot.services import texts
from bot.services.athlete.results import PerClinician
from bot.support.i18n import N_, _
from bot.support.limits import TEXT_LIMIT, split_text, utf16_len

# The heading of every part of a long note after the first (English id, translated for each
# clinician).
CONTINUED = N_("({athlete}, continued {part}/{parts})")
# Room kept for the part numbers, whatever they turn out to be ("continued 12/12").
_NUMBERS_ROOM = 8


def note_messages(label: str, note: str) -> list[str]:
    """Return the messages that carry ``note`` from the athlete ``label`` (in the current
    language): one when it fits a Telegram message under its heading, else parts cut at
    paragraph, line, sentence or word boundaries, each within the limit, every part after the
    first headed by the athlete's label and its number."""
    whole = str(texts.PROBLEM_TO_CLINICIAN).format(athlete=label, note=note)
    if utf16_len(whole) <= TEXT_LIMIT:
        return [whole]
    first = utf16_len(str(texts.PROBLEM_TO_CLINICIAN).format(athlete=label, note=""))
    later = utf16_len(_(CONTINUED).format(athlete=label, part="", parts="")) + 2
    room = TEXT_LIMIT - max(first, later) - _NUMBERS_ROOM
    pieces = split_text(note, max(room, 1))
    messages = [str(texts.PROBLEM_TO_CLINICIAN).format(athlete=label, note=pieces[0])]
    for number, piece in enumerate(pieces[1:], start=2):
        heading = _(CONTINUED).format(athlete=label, part=number, parts=len(pieces))
        messages.append(f"{heading}\n\n{piece}")
    return messages


def note_for_clinicians(note: str) -> PerClinician:
    """Return the athlete's ``note`` as each clinician gets it (``tell_clinicians``): under
    the athlete's name as that clinician reads it, in as many parts as it takes
    (:func:`note_messages`)."""
    return PerClinician(lambda label: note_messages(label, note))
