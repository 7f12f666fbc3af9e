"""Two processes fire the same action on the same nomination at once, on PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import postgres_database
from workflow import create_app, pipeline
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.models import AuditEvent, Nomination
from workflow.refusal import Refusal

pytestmark = pytest.mark.postgres


def _fire(url, nomination_id, officer_id, version, barrier, results, pass_version):
    from workflow.models import User
    from workflow.nominations import services

    app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})

    def hold_the_lock(sender, **_):
        # The winner keeps its row lock a while, so the other process really waits on it.
        import time

        time.sleep(0.5)

    pipeline.transition_applied.connect(hold_the_lock)
    with app.app_context():
        officer = db.session.get(User, officer_id)
        barrier.wait(timeout=30)
        try:
            services.fire(officer, nomination_id, "accept", channel=pipeline.Channel.BUTTON,
                          version=version if pass_version else None)
            results.put("ok")
        except Refusal as error:
            results.put(error.code)


@pytest.mark.parametrize("pass_version", [True, False], ids=["form-version", "no-version"])
def test_two_officers_accepting_at_once_yield_one_acceptance(tmp_path, pass_version):
    with postgres_database() as url:
        app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.create_all()
            from workflow.regions import load_regions

            load_regions()
            nomination = f.nomination(State.FORWARDED)
            officers = [f.user(Role.SECRETARIAT), f.user(Role.SECRETARIAT)]
            db.session.commit()
            ids = (nomination.id, [o.id for o in officers], nomination.version)
            before = db.session.scalar(select(func.count()).select_from(AuditEvent))
            db.engine.dispose()

        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [
            ctx.Process(target=_fire, args=(url, ids[0], officer_id, ids[2], barrier, results,
                                            pass_version))
            for officer_id in ids[1]
        ]
        for p in procs:
            p.start()
        outcomes = sorted(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(timeout=30)

        assert outcomes == sorted(["ok", "conflict" if pass_version else "wrong_state"])
        with app.app_context():
            assert db.session.get(Nomination, ids[0]).status == State.UNDER_REVIEW
            after = db.session.scalar(select(func.count()).select_from(AuditEvent))
            assert after == before + 1
            db.session.remove()
            db.engine.dispose()


def _deactivate(url, actor_id, target_id, barrier, results):
    import time

    from workflow.admin import services
    from workflow.models import User

    app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
    counted = services._other_active_admins

    def slow_count(user):
        found = counted(user)
        time.sleep(0.5)  # hold what was counted while the other process counts too
        return found

    services._other_active_admins = slow_count
    with app.app_context():
        actor = db.session.get(User, actor_id)
        barrier.wait(timeout=30)
        try:
            services.set_active(actor, target_id, False)
            results.put("ok")
        except Refusal as error:
            results.put(error.code)


def test_two_administrators_deactivating_each_other_leave_one():
    from workflow.models import User

    with postgres_database() as url:
        app = create_app({"TIZIM_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.create_all()
            admins = [f.user(Role.ADMIN), f.user(Role.ADMIN)]
            db.session.commit()
            ids = [a.id for a in admins]
            db.engine.dispose()

        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_deactivate, args=(url, me, other, barrier, results))
                 for me, other in (ids, ids[::-1])]
        for p in procs:
            p.start()
        outcomes = sorted(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(timeout=30)

        assert outcomes == ["last_admin", "ok"]
        with app.app_context():
            assert sum(db.session.get(User, i).active for i in ids) == 1
            db.session.remove()
            db.engine.dispose()
