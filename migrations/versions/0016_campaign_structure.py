"""Campaign structure: problems, numbered measures with quantities, sign-offs, records.

* ``campaign_problems``: the problems of the reports' lists (Changji 19, region 45, Corps 30);
  ``rectification_tasks.problem_code`` links each task to its problem, ``charged_places`` /
  ``charged_regions`` say who must act.
* ``campaign_measures`` / ``measure_quantities``: the numbered measures of a progress text,
  verbatim, with the planned and done quantities they state.
* ``task_notes`` gains ``kind``, ``date_precision`` and ``date_text``: a dated statement keeps
  the date as the text gives it; ``note_date`` is the day by which it is certain.
* ``task_signoffs``: 验收销号 and reopening, append-only, region-scoped and audited by the
  database like every other write (rm_attach_edit_triggers from 0005_edits).
* ``campaign_records``: accountability, petitions, compensation, disclosures, premature
  closures, with the reports' figures and quotes.

Revision ID: 0016_campaign_structure
Revises: 0015_project_types
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from geo.kernel import sqlfiles

revision: str = "0016_campaign_structure"
down_revision: str | None = "0015_project_types"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Audit and scope triggers of task_signoffs (as rm_attach_edit_triggers makes them).
SQL_FILES = {"campaign/sql/signoffs.sql": "63e5963a24fc080d"}


def upgrade() -> None:
    op.create_table(
        "campaign_problems",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("party", sa.Text(), nullable=False),
        sa.Column("round", sa.Text(), nullable=False),
        sa.Column("aspect_no", sa.Integer(), nullable=True),
        sa.Column("aspect_label", sa.Text(), nullable=True),
        sa.Column("aspect_title", sa.Text(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column(
            "charged_places", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "charged_regions", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_campaign_problems")),
        sa.UniqueConstraint("party", "no", name=op.f("uq_campaign_problems_party_no")),
    )
    op.create_table(
        "campaign_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("party", sa.Text(), nullable=False),
        sa.Column("problem_code", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("regions", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column(
            "figures", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("record_date", sa.Text(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('accountability', 'petition', 'compensation', 'disclosure',"
            " 'premature_closure')",
            name=op.f("ck_campaign_records_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_code"],
            ["campaign_problems.code"],
            name=op.f("fk_campaign_records_problem_code_campaign_problems"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_records")),
        sa.UniqueConstraint("ref", name=op.f("uq_campaign_records_ref")),
    )
    op.create_table(
        "campaign_measures",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("places", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("units", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_tasks.id"],
            name=op.f("fk_campaign_measures_task_id_rectification_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_measures")),
        sa.UniqueConstraint(
            "task_id", "position", name=op.f("uq_campaign_measures_task_id_position")
        ),
    )
    op.create_table(
        "task_signoffs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("accepting_unit", sa.Text(), nullable=True),
        sa.Column(
            "evidence", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "step <> 'accepted' OR (accepting_unit IS NOT NULL"
            " AND jsonb_typeof(evidence) = 'array' AND jsonb_array_length(evidence) > 0)",
            name=op.f("ck_task_signoffs_accepted_needs_evidence"),
        ),
        sa.CheckConstraint(
            "step <> 'reopened' OR finding IS NOT NULL",
            name=op.f("ck_task_signoffs_reopened_finding"),
        ),
        sa.CheckConstraint("step IN ('accepted', 'reopened')", name=op.f("ck_task_signoffs_step")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_task_signoffs_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_tasks.id"],
            name=op.f("fk_task_signoffs_task_id_rectification_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_signoffs")),
    )
    op.create_index(op.f("ix_task_signoffs_task_id"), "task_signoffs", ["task_id"], unique=False)
    op.create_table(
        "measure_quantities",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("measure_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('planned', 'done')", name=op.f("ck_measure_quantities_kind")),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["campaign_measures.id"],
            name=op.f("fk_measure_quantities_measure_id_campaign_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_quantities")),
    )
    op.create_index(
        op.f("ix_measure_quantities_measure_id"), "measure_quantities", ["measure_id"], unique=False
    )
    op.add_column("rectification_tasks", sa.Column("problem_code", sa.Text(), nullable=True))
    op.add_column(
        "rectification_tasks",
        sa.Column(
            "charged_places", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "rectification_tasks",
        sa.Column(
            "charged_regions", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.add_column("rectification_tasks", sa.Column("progress_text", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_rectification_tasks_problem_code_campaign_problems"),
        "rectification_tasks",
        "campaign_problems",
        ["problem_code"],
        ["code"],
        ondelete="SET NULL",
    )
    op.add_column("task_notes", sa.Column("kind", sa.Text(), nullable=True))
    op.add_column("task_notes", sa.Column("date_precision", sa.Text(), nullable=True))
    op.add_column("task_notes", sa.Column("date_text", sa.Text(), nullable=True))
    # Frozen vocabularies (geo.progress.vocab NOTE_KINDS, PRECISIONS at this revision).
    op.create_check_constraint(
        op.f("ck_task_notes_kind"),
        "task_notes",
        "kind IS NULL OR kind IN ('opened', 'dated_fact', 'completion', 'report_status', 'update')",
    )
    op.create_check_constraint(
        op.f("ck_task_notes_precision"),
        "task_notes",
        "date_precision IS NULL OR date_precision IN ('day', 'month', 'year', 'by_day',"
        " 'by_month', 'by_year')",
    )
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_task_notes_precision"), "task_notes", type_="check")
    op.drop_constraint(op.f("ck_task_notes_kind"), "task_notes", type_="check")
    op.drop_column("task_notes", "date_text")
    op.drop_column("task_notes", "date_precision")
    op.drop_column("task_notes", "kind")
    op.drop_constraint(
        op.f("fk_rectification_tasks_problem_code_campaign_problems"),
        "rectification_tasks",
        type_="foreignkey",
    )
    op.drop_column("rectification_tasks", "progress_text")
    op.drop_column("rectification_tasks", "charged_regions")
    op.drop_column("rectification_tasks", "charged_places")
    op.drop_column("rectification_tasks", "problem_code")
    op.drop_index(op.f("ix_measure_quantities_measure_id"), table_name="measure_quantities")
    op.drop_table("measure_quantities")
    op.drop_index(op.f("ix_task_signoffs_task_id"), table_name="task_signoffs")
    op.drop_table("task_signoffs")
    op.drop_table("campaign_measures")
    op.drop_table("campaign_records")
    op.drop_table("campaign_problems")
