"""person ids are never handed out twice, on SQLite too

SQLite gives a new row the highest rowid + 1 unless the table is AUTOINCREMENT, so deleting
the athlete with the highest number handed that number to the next person who signed up: a
clinician's pending message, a button on an old alert card or the deletion's audit entry
then pointed at someone else. The person table is re-created with AUTOINCREMENT (its rows,
numbers and references kept). PostgreSQL's sequences never reuse a number: nothing to do.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table(
        'person', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
    ):
        pass  # nothing to alter: leaving the block re-creates the table with the new kwargs


def upgrade() -> None:
    _recreate(True)
    if op.get_bind().dialect.name == 'sqlite':
        # Numbers deleted before this migration count too: the audit log (which has no
        # foreign key) still names them, so the counter starts above every one ever used.
        highest = op.get_bind().execute(
            sa.text(
                'SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM person'
                ' UNION ALL SELECT MAX(athlete_id) FROM audit_log'
                ' UNION ALL SELECT MAX(actor_id) FROM audit_log)'
            )
        ).scalar()
        if highest:
            op.execute("DELETE FROM sqlite_sequence WHERE name = 'person'")
            op.get_bind().execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('person', :n)"),
                {'n': int(highest)},
            )


def downgrade() -> None:
    _recreate(False)
