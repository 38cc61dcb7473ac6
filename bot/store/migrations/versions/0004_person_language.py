"""person language: one of the languages Sprintback speaks, and whether the person chose it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

``person.language`` has existed since 0001 but nothing set it; from now on it holds the
language a person reads Sprintback in: their Telegram app's (``language_code``) until they
choose one, then their choice (``language_chosen``). This revision makes every stored value
one of the supported languages (a regional tag such as 'pt-BR' becomes 'pt', anything else
English), gives the column a server default (rows written without it read English) and adds
``language_chosen`` (false: nobody has chosen yet).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.support.i18n at the time of this migration (a migration never imports the code it
# may outlive).
_LANGUAGES = ("en", "es", "pt", "fr", "de")


def _normalised(code: str | None) -> str:
    base = (code or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in _LANGUAGES else "en"


def upgrade() -> None:
    person = sa.table('person', sa.column('id', sa.Integer()), sa.column('language', sa.String()))
    connection = op.get_bind()
    for person_id, language in connection.execute(sa.select(person.c.id, person.c.language)).all():
        wanted = _normalised(language)
        if wanted != language:
            connection.execute(
                person.update().where(person.c.id == person_id).values(language=wanted)
            )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column(
            'language',
            existing_type=sa.String(length=16),
            existing_nullable=False,
            server_default='en',
        )
        batch_op.add_column(
            sa.Column('language_chosen', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('language_chosen')
        batch_op.alter_column(
            'language',
            existing_type=sa.String(length=16),
            existing_nullable=False,
            server_default=None,
        )
