"""The list's surname search through the trigram index (PostgreSQL: ILIKE): a prefix in any
case, and the characters LIKE reads as wildcards are only characters (issue 14)."""

from __future__ import annotations

from tests import factories as f
from tests.test_nomination_list import listed, walk  # noqa: F401 - the fixture


def test_wildcards_in_the_search_are_plain_characters(listed):  # noqa: F811
    coordinator, nominations = listed
    for text in ("%", "_", "К_м", "%им", "\\", "Ки%"):
        assert walk(coordinator, text=text) == [], text
    percent = f.nomination(candidate=f.CandidateFactory(surname="Ки%ров"))
    assert walk(coordinator, text="ки%") == [percent.id]


def test_the_search_is_a_prefix_not_a_substring(listed):  # noqa: F811
    coordinator, nominations = listed
    assert walk(coordinator, text="им") == []
    assert set(walk(coordinator, text="ахм")) == {
        n.id for n in nominations if n.candidate.surname == "Ахметов"}


def test_the_surname_index_is_trigram_on_postgresql(app, backend):
    from workflow.models import LIST_INDEXES

    index = next(i for i in LIST_INDEXES if i.name == "ix_candidates_surname_trgm")
    assert index.dialect_options["postgresql"]["using"] == "gin"
    if backend == "postgresql":
        from sqlalchemy import text

        from workflow.extensions import db

        definition = db.session.scalar(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_candidates_surname_trgm'"))
        assert "gin" in definition and "gin_trgm_ops" in definition


def test_the_session_filter_lists_its_agenda_once_each(app):
    from sqlalchemy import select

    from workflow.domain import Role, State
    from workflow.extensions import db
    from workflow.models import SessionItem

    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    on_agenda = [f.nomination(State.ON_AGENDA) for _ in range(3)]
    f.nomination(State.SUBMITTED)
    db.session.commit()
    items = db.session.execute(select(SessionItem.session_id, SessionItem.nomination_id)).all()
    by_session: dict[int, set[int]] = {}
    for session_id, nomination_id in items:
        by_session.setdefault(session_id, set()).add(nomination_id)
    assert set().union(*by_session.values()) == {n.id for n in on_agenda}
    for session_id, expected in by_session.items():
        found = walk(coordinator, session_id=session_id)
        assert sorted(found) == sorted(expected)  # each once
