"""How clinicians read an athlete's name: the name first, the number only when two athletes
share it (``voice.md``: "Sam", and "Sam (#3)" only on a clash).

Whether two names clash is decided among the athletes the reader has in view (their linked
athletes; every athlete for an admin who is not a clinician: as /athletes lists them), never
over the whole database: a number shown because of an athlete the reader cannot see would
tell them that athlete exists, and disagree with /athletes. Names are compared by
``bot.support.limits.name_key`` (NFKC, case-folded, invisible characters ignored). The
store-level pieces (``repo.label_in_view``) serve the layers below the services too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlmodel import Session

from bot.services.access import Caller
from bot.store.models import Person
from bot.store.repo.people import label_in_view, numbered, shares_name
from bot.support.limits import name_key

# "Sam", or "Sam (#3)" on a clash.
athlete_label = numbered


def name_clashes(
    session: Session, athlete: Person, viewer: Person | None, *, admin: bool = False
) -> bool:
    """Tell whether another athlete that ``viewer`` has in view has the same name as
    ``athlete`` (``admin``: the viewer's Telegram id is in the admin setting)."""
    return shares_name(session, person=athlete, viewer=viewer, admin=admin)


def clashing(names: Iterable[str]) -> set[str]:
    """Return the keys (:func:`~bot.support.limits.name_key`) of the names that appear more
    than once in ``names``; test a name with :func:`clashes`."""
    counts = Counter(name_key(n) for n in names)
    return {key for key, count in counts.items() if count > 1 and key}


def clashes(name: str, keys: set[str]) -> bool:
    """Tell whether ``name`` is one of the clashing names ``keys`` (from :func:`clashing`)."""
    return name_key(name) in keys


def label_for_caller(session: Session, athlete: Person, caller: Caller) -> str:
    """Return ``athlete`` as the person behind ``caller`` reads them
    (``repo.label_in_view``: "Sam", "Sam (#3)" on a clash among the athletes they see)."""
    viewer = session.get(Person, caller.person_id) if caller.person_id is not None else None
    return label_in_view(session, athlete=athlete, viewer=viewer, admin=caller.is_admin)


def label_for_reader(session: Session, athlete: Person, reader: Person | None) -> str:
    """Return ``athlete`` as ``reader`` (the clinician or admin acting) reads them: "Sam", or
    "Sam (#3)" when another athlete in their view shares the name (an admin's view is every
    athlete)."""
    admin = reader is not None and reader.role == "admin"
    return label_in_view(session, athlete=athlete, viewer=reader, admin=admin)


def malformed_reference(typed: str) -> bool:
    """Tell whether ``typed`` cannot be an athlete reference at all: nothing after the "#"s
    ("#"), or a number with more after it ("2 2", "2x"). It is answered with the command's
    usage line (a typing mistake); a well-formed number or name of an athlete the caller
    may not see gets the neutral refusal instead."""
    ref = typed.strip().lstrip("#").strip()
    if not ref:
        return True
    return ref[0].isascii() and ref[0].isdigit() and not (ref.isascii() and ref.isdigit())
