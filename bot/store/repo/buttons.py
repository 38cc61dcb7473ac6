"""Decision buttons already pressed: a second press of the same button changes nothing.

A button is its signed callback data (``bot.services.callback_auth``), unique per person,
action, ids and minute of issue. :func:`use_button` records a press in the transaction that
applies it; the unique constraint decides between two presses racing, so only one of them
commits its effects.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.store.models import UsedButton
from bot.store.repo._common import dialect_insert, require_aware


def button_used(session: Session, *, token: str) -> bool:
    """Tell whether the button ``token`` has been pressed (and its press committed)."""
    return session.exec(select(UsedButton.id).where(UsedButton.token == token)).first() is not None


def use_button(
    session: Session,
    *,
    token: str,
    athlete_id: int,
    pressed_by: int,
    action: str,
    now: dt.datetime,
) -> bool:
    """Record the press of ``token`` in the caller's transaction; return False if it was
    pressed before (then the caller must roll its effects back)."""
    table = UsedButton.__table__  # type: ignore[attr-defined]
    statement = (
        dialect_insert(session, table)
        .values(
            token=token,
            athlete_id=athlete_id,
            pressed_by=pressed_by,
            action=action,
            at=require_aware("now", now),
        )
        .on_conflict_do_nothing(index_elements=["token"])
        .returning(table.c.id)
    )
    return session.execute(statement).first() is not None
