"""hardening: used buttons, outbox authors, names without control characters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.limits.clean_name at the time of this migration (a migration never imports the code
# it may outlive).
_BIDI = {ord(ch): None for ch in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}


def _clean_name(name: str) -> str:
    kept = [
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in name.translate(_BIDI)
    ]
    return " ".join("".join(kept).split())[:200]


def upgrade() -> None:
    op.create_table('used_button',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.Integer(), nullable=False),
    sa.Column('pressed_by', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['athlete_id'], ['person.id'], name=op.f('fk_used_button_athlete_id_person')),
    sa.ForeignKeyConstraint(['pressed_by'], ['person.id'], name=op.f('fk_used_button_pressed_by_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_used_button')),
    sa.UniqueConstraint('token', name=op.f('uq_used_button_token'))
    )
    with op.batch_alter_table('used_button', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_button_athlete_id'), ['athlete_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_author_id_person'), 'person', ['author_id'], ['id'])

    person = sa.table('person', sa.column('id', sa.Integer()), sa.column('display_name', sa.String()))
    connection = op.get_bind()
    for person_id, name in connection.execute(sa.select(person.c.id, person.c.display_name)).all():
        cleaned = _clean_name(name or "")
        if cleaned != (name or ""):
            connection.execute(
                person.update().where(person.c.id == person_id).values(display_name=cleaned)
            )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_author_id_person'), type_='foreignkey')
        batch_op.drop_column('author_id')

    with op.batch_alter_table('used_button', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_button_athlete_id'))

    op.drop_table('used_button')
