"""A person the bot could not reach becomes reachable again when they are heard from.

The sender marks a person unreachable when Telegram answers 403 (they blocked the bot or
deleted their account) and tells their clinician, or the admins. When the person unblocks the
bot (a ``my_chat_member`` update) or writes to it, the mark is cleared, the clinicians who
were told hear that the athlete can be reached again, and a later block is reported afresh.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.store.models import REACHABLE_KIND, Person
from bot.store.repo.audit import audit
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import enqueue_message
from bot.store.repo.people import label_in_view
from bot.support.i18n import _, use_language

REACHABLE_AGAIN = "reachable_again"


def mark_reachable(session: Session, person: Person, now: dt.datetime) -> int:
    """Clear ``person``'s unreachable mark (audited) and, for an athlete, queue a note to each
    linked clinician who can be reached; return how many notes were queued (0 when the person
    was not marked)."""
    if not person.unreachable or person.id is None:
        return 0
    person.unreachable = False
    session.add(person)
    session.flush()
    is_athlete = person.role == "athlete"
    audit(
        session,
        actor_id=person.id,
        action=REACHABLE_AGAIN,
        athlete_id=person.id if is_athlete else None,
        now=now,
    )
    if not is_athlete:
        return 0
    queued = 0
    for clinician in clinicians_of(session, athlete_id=person.id):
        if clinician.unreachable or clinician.chat_id is None:
            continue
        with use_language(clinician.language):  # in the clinician's language
            # Named as the cards name them: "Anna (#2)" when two of theirs share the name.
            name = label_in_view(session, athlete=person, viewer=clinician)
            text = _(
                "{name} can be reached on Telegram again: prompts and messages resume."
            ).format(name=name)
        enqueue_message(
            session,
            chat_id=clinician.chat_id,
            text=text,
            kind=REACHABLE_KIND,
            now=now,
            person_id=clinician.id,
            athlete_id=person.id,
        )
        queued += 1
    return queued
