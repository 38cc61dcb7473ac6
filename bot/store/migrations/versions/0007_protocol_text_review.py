"""protocol text review: display texts an admin changed, and the languages to review

An admin's ``/protocol set`` (or upload) of a protocol display text publishes a new English
text that no catalogue translates yet; ``protocol_text_review`` records it with the languages
whose translation needs review, shown in ``/protocols``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'protocol_text_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('protocol_name', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=False),
        sa.Column('text', sa.String(), nullable=False),
        sa.Column('languages', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_text_review')),
    )
    op.create_index(
        'ix_protocol_text_review_name', 'protocol_text_review', ['protocol_name', 'version']
    )


def downgrade() -> None:
    op.drop_index('ix_protocol_text_review_name', table_name='protocol_text_review')
    op.drop_table('protocol_text_review')
