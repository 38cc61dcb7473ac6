"""review action: a clinician's review after a stop is its own clinician action

``clinician_action.kind`` may be ``review``: the review that lets an athlete run again after a
red-flag stop, kept apart from a sign-off (``clearance``) so that it never opens a gate.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "kind IN ('hold', 'step_back', 'set_stage', 'pause', 'resume')"
_AFTER = "kind IN ('hold', 'step_back', 'set_stage', 'pause', 'resume', 'review')"


def upgrade() -> None:
    with op.batch_alter_table('clinician_action', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _AFTER)


def downgrade() -> None:
    # A review recorded since reads as a resume: both lift a stop, neither opens a gate.
    op.execute("UPDATE clinician_action SET kind = 'resume' WHERE kind = 'review'")
    with op.batch_alter_table('clinician_action', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _BEFORE)
