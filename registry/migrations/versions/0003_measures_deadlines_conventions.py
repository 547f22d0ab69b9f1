"""measures: deadlines, conventions, document goals, milestones from the text

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("conventions", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("goals", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("deadline_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("deadline_kind", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("deadline_text", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("conventions", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=10), nullable=False, server_default="office")
        )


def downgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("tasks") as batch:
        for column in ("conventions", "deadline_text", "deadline_kind", "deadline_date", "note"):
            batch.drop_column(column)
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("goals")
        batch.drop_column("conventions")
        batch.drop_column("retired")
