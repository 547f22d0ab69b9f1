"""channels: 企业微信, 钉钉, 飞书 robots and e-mail as reminder destinations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=True),
        sa.Column("is_office", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "channel_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_posts_channel_id", "channel_posts", ["channel_id"])
    with op.batch_alter_table("outbox") as table:
        table.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        table.create_foreign_key("fk_outbox_channel_id", "channels", ["channel_id"], ["id"])
        table.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(
            sa.Column("link", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.drop_constraint("fk_outbox_channel_id", type_="foreignkey")
        for column in ("link", "parts_sent", "channel_id"):
            table.drop_column(column)
    op.drop_index("ix_channel_posts_channel_id", table_name="channel_posts")
    op.drop_table("channel_posts")
    op.drop_table("channels")
