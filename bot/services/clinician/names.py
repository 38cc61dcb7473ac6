"""How clinicians read an athlete's name: the name first, the number only when two athletes
share it (``voice.md``: "Sam", and "Sam (#3)" only on a clash)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlmodel import Session

from bot.store.models import Person
from bot.store.repo.people import shares_name


def name_clashes(session: Session, athlete: Person) -> bool:
    """Tell whether another athlete has the same name as ``athlete``."""
    return shares_name(session, person=athlete)


def clashing(names: Iterable[str]) -> set[str]:
    """Return the names (case-folded) that appear more than once in ``names``."""
    counts = Counter(n.strip().casefold() for n in names)
    return {n for n, c in counts.items() if c > 1}


def athlete_label(name: str, athlete_id: int, clash: bool) -> str:
    """Return "Sam", or "Sam (#3)" when another athlete shares the name."""
    return f"{name} (#{athlete_id})" if clash else name
