"""questionnaire layout: an open questionnaire records the layout it was begun in

``questionnaire_progress.step`` and ``shown_step`` (and the step number in a button's callback
data) are positions in a questionnaire's list of questions. A deploy that adds, removes or
reorders questions moves them, and an answer to a questionnaire begun before it could be
stored against another question. ``layout`` holds a fingerprint of the questions (their keys
in order) when the questionnaire began; an answer arriving in another layout is not applied
and the questionnaire is resynced by key first. Rows written before this revision keep NULL:
begun in an unknown layout, resynced at their next answer (no answer is lost).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questionnaire_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_progress', schema=None) as batch_op:
        batch_op.drop_column('layout')
