"""The migration history builds the same schema as the models, and takes it back, on both."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import fresh_database
from workflow import create_app
from workflow.extensions import db


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_matches_models_and_downgrade_empties(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory) as url:
        app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"nominations", "audit_events", "candidates", "regions", "users"} <= tables
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            assert planner_statistics() == (PLANNER_STATISTICS if backend == "postgresql" else {})
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()


# Statistics the planner needs (alembic does not compare them): name -> kinds ("f":
# functional dependencies). migrations 0016_plan_statistics and workflow/models/lists.py.
PLANNER_STATISTICS = {"st_nominations_region_association": "{f}"}


def planner_statistics() -> dict:
    """The statistics objects of the database (SQLite keeps none: an empty dict)."""
    if db.engine.dialect.name != "postgresql":
        return {}
    return dict(db.session.execute(text("SELECT stxname, stxkind::text FROM pg_statistic_ext")).all())


def test_the_models_make_the_planner_statistics_too(app, backend):
    """A database built from the models (tests, create_all) has the migrations' statistics."""
    if backend != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    assert planner_statistics() == PLANNER_STATISTICS
