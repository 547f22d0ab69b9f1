"""supervision: task closing (办结), report review, office-edited and deleted milestones, task
revisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_FALSE = sa.false()


def upgrade() -> None:
    with op.batch_alter_table("tasks") as table:
        table.add_column(sa.Column("created_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("closing_note", sa.Text(), nullable=False, server_default=""))
        table.add_column(
            sa.Column("closed_by", sa.String(length=100), nullable=False, server_default="")
        )
        table.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("milestones") as table:
        table.add_column(sa.Column("manual", sa.Boolean(), nullable=False, server_default=_FALSE))
        table.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("progress_reports") as table:
        table.add_column(
            sa.Column("on_behalf", sa.Boolean(), nullable=False, server_default=_FALSE)
        )
        table.add_column(
            sa.Column("review", sa.String(length=10), nullable=False, server_default="待审核")
        )
        table.add_column(sa.Column("review_comment", sa.Text(), nullable=False, server_default=""))
        table.add_column(
            sa.Column("reviewed_by", sa.String(length=100), nullable=False, server_default="")
        )
        table.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    # tasks already in the ledger count 未报送 from their document's last sync
    documents = sa.table("documents", sa.column("id"), sa.column("synced_at"))
    tasks = sa.table("tasks", sa.column("document_id"), sa.column("created_on"))
    op.execute(
        tasks.update().values(
            created_on=sa.select(sa.func.date(documents.c.synced_at))
            .where(documents.c.id == tasks.c.document_id)
            .scalar_subquery()
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("progress_reports") as table:
        for column in ("reviewed_at", "reviewed_by", "review_comment", "review", "on_behalf"):
            table.drop_column(column)
    with op.batch_alter_table("milestones") as table:
        table.drop_column("deleted_at")
        table.drop_column("manual")
    with op.batch_alter_table("tasks") as table:
        for column in ("revision", "closed_by", "closing_note", "closed_on", "created_on"):
            table.drop_column(column)
