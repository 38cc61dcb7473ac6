"""pending staff steps: a clinician's or admin's step in two parts, kept in the database

A press of "Message athlete", "Decline" or "Reviewed" waits for the clinician's next message,
a review's note or a risky /stage waits for its ✅ Confirm, and an admin's protocol draft
waits for Publish. These waited in the memory of the replica that asked; ``pending_step``
keeps them where every replica finds them (one per person and kind).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'pending_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('athlete_id', sa.Integer(), nullable=True),
        sa.Column(
            'payload', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False
        ),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('input', 'confirm', 'draft')", name=op.f('ck_pending_step_kind')
        ),
        sa.ForeignKeyConstraint(
            ['athlete_id'], ['person.id'], name=op.f('fk_pending_step_athlete_id_person')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_step')),
        sa.UniqueConstraint(
            'telegram_user_id', 'kind', name=op.f('uq_pending_step_telegram_user_id_kind')
        ),
    )
    op.create_index(op.f('ix_pending_step_athlete_id'), 'pending_step', ['athlete_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_pending_step_athlete_id'), table_name='pending_step')
    op.drop_table('pending_step')
