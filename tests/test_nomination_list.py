"""The nomination list: every sort order's pages cover every row once, filters, scope, and a
fixed number of queries per page whatever its length (no N+1)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests import factories as f
from workflow.domain import Role, State
from workflow.extensions import db
from workflow.nominations import services

SURNAMES = ["Ким", "Ахметов", "Ким", "Пак", "Ким", "Иванова", "Ахметов"]


@pytest.fixture
def listed(app):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    states = [State.DRAFT, State.SUBMITTED, State.FORWARDED]
    nominations = [
        f.nomination(states[i % 3], candidate=f.CandidateFactory(surname=surname))
        for i, surname in enumerate(SURNAMES)]
    f.nomination(State.DRAFT, region_code="KZ-71")  # out of scope
    db.session.commit()
    return coordinator, nominations


def walk(user, **filters) -> list[int]:
    seen, after = [], None
    while True:
        page = services.list_nominations(user, after=after, limit=3, **filters)
        # The page's lighter rows (services.row_statement, models.ListRow) page the same way.
        assert [n.id for n in services.list_nominations(
            user, after=after, limit=3, rows_only=True, **filters).items] == [
            n.id for n in page.items]
        seen += [n.id for n in page.items]
        if page.next_after is None:
            return seen
        after = page.next_after


@pytest.mark.parametrize("sort", list(services.SORTS))
def test_pages_cover_every_row_once_in_order(listed, sort):
    coordinator, nominations = listed
    key = {
        "newest": lambda n: (n.created_at, n.id),
        "oldest": lambda n: (n.created_at, n.id),
        "surname": lambda n: (n.candidate.surname, n.candidate_id, n.id),
        "state": lambda n: (n.status.value, n.id),
    }[sort]
    expected = [n.id for n in sorted(nominations, key=key, reverse=sort == "newest")]
    assert walk(coordinator, sort=sort) == expected


def test_filters(listed):
    coordinator, nominations = listed
    kims = {n.id for n in nominations if n.candidate.surname == "Ким"}
    assert set(walk(coordinator, text="ким")) == kims
    assert set(walk(coordinator, text="Ки")) == kims
    assert set(walk(coordinator, text="КИМ")) == kims
    code = nominations[3].reference_code
    assert walk(coordinator, text=code.lower()) == [nominations[3].id]
    drafts = {n.id for n in nominations if n.status == State.DRAFT}
    assert set(walk(coordinator, state="draft")) == drafts
    assert walk(coordinator, association_id=nominations[0].association_id) == [nominations[0].id]


def test_a_forged_cursor_starts_again_from_the_first_page(listed):
    coordinator, _ = listed
    first = services.list_nominations(coordinator, limit=3)
    forged = services.list_nominations(coordinator, limit=3, after="not-a-cursor")
    assert [n.id for n in forged.items] == [n.id for n in first.items]


def test_a_page_costs_one_query_however_many_rows(listed):
    coordinator, _ = listed
    statements = []

    def count(*args):
        statements.append(args[2])

    db.session.expire_all()
    assert coordinator.region_id  # the user's own row is loaded at login, not by the list
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = services.list_nominations(coordinator, limit=50)
        read = [(n.candidate.full_name, n.region.name_en, n.association.name)
                for n in page.items]  # what the list template reads
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(read) == len(SURNAMES)
    assert len(statements) == 1


def test_a_list_row_reads_what_the_row_shows_and_no_more(listed):
    """The list page and the API's list read ``LIST_ROW``: everything they show comes in
    the one statement, and a candidate's other personal data stays in the database."""
    coordinator, _ = listed
    statements = []

    def count(*args):
        statements.append(args[2])

    db.session.expire_all()
    assert coordinator.region_id
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = services.list_nominations(coordinator, limit=50, rows_only=True)
        read = [(n.id, n.reference_code, n.status, n.route, n.candidate.full_name,
                 n.candidate.iin, n.region.name_en, n.association.name, n.nominating_body,
                 n.created_at, n.updated_at, n.status_changed_at, n.version)
                for n in page.items]  # what the list template and the API's items read
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(read) == len(SURNAMES)
    assert len(statements) == 1
    for column in ("birth_date", "phone", "email", "consent_scope", "justification"):
        assert f".{column}" not in statements[0]


@pytest.mark.parametrize("lang, sort_label, order_document", [
    ("kk", "Сұрыптау", "Өкім"), ("ru", "Сортировка", "Распоряжение")])
def test_the_lists_sort_label_is_not_the_chairmans_order(app, client, auth, lang, sort_label,
                                                         order_document):
    """The list's "Order" (of the rows) once shared its words with the Chairman's order: the
    select said "Өкім" / "Распоряжение". It has its own words now."""
    auth.login(f.user(Role.COORDINATOR))
    client.set_cookie("lang", lang)
    html = client.get("/nominations/").get_data(as_text=True)
    assert f'for="sort">{sort_label}</label>' in html
    assert f">{order_document}</label>" not in html


def test_a_list_row_says_what_the_record_says(app):
    """``models.ListRow`` stands in for a ``Nomination`` in the list, the queues and the API:
    each attribute they read has the record's value, in Kazakh and Russian, for a nomination
    of an association and one without (another route), and for a person whose data were
    destroyed."""
    from flask_babel import force_locale

    from workflow.domain import Route
    from workflow.models import utcnow

    officer = f.user(Role.SECRETARIAT)
    kept = f.nomination(State.FORWARDED)
    council = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL, region_code="KZ-71")
    erased = f.nomination(State.SUBMITTED)
    erased.candidate.erased_at = utcnow()
    db.session.commit()
    rows = services.list_nominations(officer, limit=50, rows_only=True).items
    records = {n.id: n for n in services.list_nominations(officer, limit=50).items}
    assert {r.id for r in rows} == {kept.id, council.id, erased.id} == set(records)

    def said(n):
        return (n.id, n.reference_code, n.status, n.route, n.region_id, n.association_id,
                n.candidate_id, n.nominating_body, n.created_at, n.updated_at,
                n.status_changed_at, n.version, n.candidate.full_name, n.candidate.surname,
                n.candidate.iin, n.region.name, n.region.iso_code, n.region.expected_days,
                n.association.name if n.association else None)

    for lang in ("kk", "ru"):
        with force_locale(lang):
            assert [said(r) for r in rows] == [said(records[r.id]) for r in rows]
    by_id = {r.id: r for r in rows}
    assert by_id[council.id].association is None and by_id[council.id].nominating_body
    assert by_id[erased.id].candidate.full_name != erased.candidate.surname
