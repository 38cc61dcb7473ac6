"""usual tightness: a clinician may accept a tightness as usual for the athlete

``clinician_action.kind`` may be ``usual_tightness`` (the ``/usual`` command), with the
accepted tightness (0-10) in the new nullable ``value`` column; every other kind leaves it
NULL, so rows written before this revision need nothing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "kind IN ('hold', 'step_back', 'set_stage', 'pause', 'resume', 'review')"
_AFTER = (
    "kind IN ('hold', 'step_back', 'set_stage', 'pause', 'resume', 'review', 'usual_tightness')"
)


def upgrade() -> None:
    with op.batch_alter_table('clinician_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value', sa.Integer(), nullable=True))
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _AFTER)


def downgrade() -> None:
    # An accepted usual tightness has no earlier form: it is dropped (the athlete's mornings
    # are read against the fixed limits or their green mornings again).
    op.execute("DELETE FROM clinician_action WHERE kind = 'usual_tightness'")
    with op.batch_alter_table('clinician_action', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _BEFORE)
        batch_op.drop_column('value')
