"""Work in bulk (issue 12 item 6): the Secretariat's queue accepts, returns and puts on a
Council agenda several nominations at once, all or none, saying what happened to each; the
coordinator exports their own region's lists."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories as f
from workflow import bulk, pipeline
from workflow.domain import Role, Route, State
from workflow.extensions import db
from workflow.models import AuditEvent, CouncilAgendaItem, Nomination
from workflow.permissions import PERMISSIONS
from workflow.secretariat import services


def items(*noms, version=None) -> list[str]:
    return [f"{n.id}:{n.version if version is None else version}" for n in noms]


def statuses(*noms) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Nomination, n.id).status for n in noms]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def officer(auth):
    user = f.user(Role.SECRETARIAT)
    auth.login(user)
    return user


# --- Accept. --------------------------------------------------------------------------------


def test_accept_several_at_once_one_event_each_and_the_result_in_words(app, client, english,
                                                                       officer):
    noms = [f.nomination(State.FORWARDED, region_code=code) for code in ("KZ-75", "KZ-71")]
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk",
                       data={"action": "accept", "items": items(*noms)})
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text[:2000]
    assert statuses(*noms) == [State.UNDER_REVIEW] * 2
    accepted = events("accept")
    assert sorted(e.nomination_id for e in accepted) == sorted(n.id for n in noms)
    assert {e.actor_id for e in accepted} == {officer.id}
    assert "Done for 2 nominations." in text
    for n in noms:
        assert n.reference_code in text and n.candidate.full_name in text


def test_one_refused_means_none_is_applied_and_each_is_reported(app, client, english, officer):
    ready = f.nomination(State.FORWARDED)
    moved_on = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk",
                       data={"action": "accept", "items": items(ready, moved_on)})
    text = page.get_data(as_text=True)
    assert page.status_code == 409
    assert statuses(ready, moved_on) == [State.FORWARDED, State.UNDER_REVIEW]
    assert events("accept") == []
    assert "Nothing was done: 1 nomination of those ticked was refused" in text
    assert "is not possible while the nomination is" in text  # why, for the refused one
    assert "Nothing stood in its way, but another was refused." in text  # the other one


def test_a_stale_row_is_a_conflict_and_nothing_is_applied(app, client, english, officer):
    fresh = f.nomination(State.FORWARDED)
    stale = f.nomination(State.FORWARDED)
    db.session.commit()
    seen = stale.version
    stale.justification = "Changed by someone else meanwhile."
    db.session.commit()
    assert stale.version != seen
    sent = [f"{fresh.id}:{fresh.version}", f"{stale.id}:{seen}"]
    page = client.post("/secretariat/queues/forwarded/bulk",
                       data={"action": "accept", "items": sent})
    assert page.status_code == 409
    assert "Someone else changed this a moment ago" in page.get_data(as_text=True)
    assert statuses(fresh, stale) == [State.FORWARDED, State.FORWARDED]


def test_the_batch_reports_a_conflict_by_its_code(app):
    nom = f.nomination(State.FORWARDED)
    db.session.commit()
    batch = services.accept_all(f.user(Role.SECRETARIAT), {nom.id: nom.version + 1})
    assert not batch.applied
    assert [(o.result, o.refusal.code) for o in batch.outcomes] == [
        (bulk.Result.REFUSED, "conflict")]


def test_nothing_ticked_or_a_forged_row_is_refused_by_the_form(app, client, english, officer):
    nom = f.nomination(State.FORWARDED)
    db.session.commit()
    empty = client.post("/secretariat/queues/forwarded/bulk", data={"action": "accept"})
    assert empty.status_code == 422
    assert "Choose at least one nomination." in empty.get_data(as_text=True)
    forged = client.post("/secretariat/queues/forwarded/bulk",
                         data={"action": "accept", "items": [f"{nom.id}:x", "0:1"]})
    assert forged.status_code == 422
    assert statuses(nom) == [State.FORWARDED]


# --- Return with one set of reasons. ----------------------------------------------------------


def test_return_several_with_one_set_of_reasons(app, client, english, officer):
    noms = [f.nomination(State.FORWARDED), f.nomination(State.FORWARDED)]
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk", data={
        "action": "return", "items": items(*noms), "reasons": ["cv_document", "consent"]})
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    assert statuses(*noms) == [State.RETURNED] * 2
    returned = events("return")
    assert len(returned) == 2
    assert all(e.data == {"reasons": ["cv_document", "consent"]} and e.comment == ""
               for e in returned)


def test_return_needs_a_reason_as_the_single_form_does(app, client, english, officer):
    nom = f.nomination(State.FORWARDED)
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk", data={
        "action": "return", "items": items(nom), "comment": "Kept as typed"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Choose at least one reason." in text and "Kept as typed" in text
    assert f'value="{nom.id}:{nom.version}" id="pick-{nom.id}" checked' in text  # still ticked
    assert statuses(nom) == [State.FORWARDED]


def test_other_without_a_comment_is_refused_for_each_by_the_pipelines_guard(app, client,
                                                                              english, officer):
    noms = [f.nomination(State.FORWARDED), f.nomination(State.FORWARDED)]
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk", data={
        "action": "return", "items": items(*noms), "reasons": ["other"]})
    assert page.status_code == 409
    assert page.get_data(as_text=True).count("say in the comment what needs correcting") == 2
    assert statuses(*noms) == [State.FORWARDED] * 2


# --- Put on a Council meeting's agenda, through the meeting's channel. ------------------------


def test_put_several_on_a_planned_meetings_agenda(app, client, english, officer):
    noms = [f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL) for _ in range(3)]
    meeting = f.council_meeting()
    db.session.commit()
    page = client.post("/secretariat/queues/under_review/bulk", data={
        "action": "put_on_council_agenda", "items": items(*noms), "meeting_id": meeting.id})
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    assert statuses(*noms) == [State.COUNCIL_AGENDA] * 3
    placed = db.session.scalars(select(CouncilAgendaItem.nomination_id).where(
        CouncilAgendaItem.meeting_id == meeting.id))
    assert sorted(placed) == sorted(n.id for n in noms)
    put = events("put_on_council_agenda")
    assert len(put) == 3 and all(e.data["council_meeting_id"] == meeting.id for e in put)


def test_a_recorded_meeting_refuses_the_whole_batch(app, client, english, officer):
    from workflow.models import utcnow

    nom = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    meeting = f.council_meeting(recorded_at=utcnow())
    db.session.commit()
    page = client.post("/secretariat/queues/under_review/bulk", data={
        "action": "put_on_council_agenda", "items": items(nom), "meeting_id": meeting.id})
    assert page.status_code == 422  # the meeting is not among the planned ones
    assert statuses(nom) == [State.UNDER_REVIEW]
    with pytest.raises(Exception) as refused:
        from workflow.council import services as council

        council.put_on_agenda(f.user(Role.SECRETARIAT), meeting.id, {nom.id: nom.version})
    assert getattr(refused.value, "code", None) == "wrong_state"
    assert statuses(nom) == [State.UNDER_REVIEW]


def test_the_agenda_goes_only_through_the_meetings_channel():
    assert pipeline.BY_ACTION["put_on_council_agenda"].channel is pipeline.Channel.COUNCIL_MEETING


# --- Scope and permission. ----------------------------------------------------------------


def test_a_row_the_person_cannot_see_is_refused_and_nothing_is_applied(app):
    """The same batch for a coordinator: another region's nomination is not theirs to act on."""
    own = f.nomination(State.SUPPORTED, region_code="KZ-75")
    other = f.nomination(State.SUPPORTED, region_code="KZ-71")
    db.session.commit()
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    batch = bulk.apply_all(coordinator, "forward", {own.id: own.version, other.id: other.version},
                           channel=pipeline.Channel.BUTTON)
    assert not batch.applied
    by_id = {o.nomination_id: o for o in batch.outcomes}
    assert by_id[other.id].result is bulk.Result.REFUSED
    assert by_id[other.id].refusal.code == "not_found"
    assert by_id[other.id].name == "" and by_id[other.id].reference_code == ""  # nothing said
    assert by_id[own.id].result is bulk.Result.HELD_BACK
    assert statuses(own, other) == [State.SUPPORTED, State.SUPPORTED]


def test_an_unknown_id_is_refused_as_not_found(app, client, english, officer):
    nom = f.nomination(State.FORWARDED)
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk", data={
        "action": "accept", "items": [*items(nom), f"{nom.id + 1000}:1"]})
    assert page.status_code == 409
    assert "A nomination you cannot see" in page.get_data(as_text=True)
    assert statuses(nom) == [State.FORWARDED]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MEMBER, Role.ADMIN])
def test_only_the_roles_of_the_permission_table_reach_the_bulk_actions(app, client, auth, role):
    assert PERMISSIONS["secretariat.work"] == {Role.SECRETARIAT}
    nom = f.nomination(State.FORWARDED)
    auth.login(f.user(role, "KZ-75"))
    page = client.post("/secretariat/queues/forwarded/bulk",
                       data={"action": "accept", "items": items(nom)})
    assert page.status_code == 403
    assert statuses(nom) == [State.FORWARDED]


@pytest.mark.parametrize("state", list(services.QUEUES))
def test_each_queue_offers_the_bulk_actions_the_table_allows_from_its_state(app, state):
    officer = f.user(Role.SECRETARIAT)
    expected = [a for a in services.BULK_ACTIONS if state in pipeline.BY_ACTION[a].sources]
    assert services.bulk_actions(officer, state) == expected
    # And as the Secretariat's rules say it, written out: the table must not drift from them.
    assert expected == {State.FORWARDED: ["accept", "return"],
                        State.UNDER_REVIEW: ["return", "put_on_council_agenda"]}.get(state, [])
    assert services.bulk_actions(f.user(Role.COORDINATOR), state) == []


def test_an_action_the_queue_does_not_offer_is_not_found(app, client, officer):
    nom = f.nomination(State.FORWARDED)
    db.session.commit()
    page = client.post("/secretariat/queues/forwarded/bulk",
                       data={"action": "put_on_council_agenda", "items": items(nom)})
    assert page.status_code == 404
    assert statuses(nom) == [State.FORWARDED]


def test_the_queue_page_has_the_boxes_and_the_bar(app, client, english, officer):
    nom = f.nomination(State.UNDER_REVIEW, route=Route.COUNCIL)
    f.council_meeting(title="Spring")
    db.session.commit()
    page = client.get("/secretariat/queues/under_review").get_data(as_text=True)
    assert f'name="items" value="{nom.id}:{nom.version}"' in page
    assert 'data-pick-all="items"' in page and "Select all on this page" in page
    assert 'value="return"' in page and 'value="put_on_council_agenda"' in page
    assert 'value="accept"' not in page  # under review: nothing to accept
    assert "Spring" in page


# --- The coordinator's export of their own region's lists. --------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_coordinator_exports_their_regions_nominations_only_iin_masked(app, client, auth):
    own = f.nomination(State.SUBMITTED, region_code="KZ-75")
    other = f.nomination(State.SUBMITTED, region_code="KZ-71")
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    rows = _csv(client.get("/exports/nominations.csv"))
    codes = [r[0] for r in rows[1:]]
    assert codes == [own.reference_code]
    assert other.reference_code not in codes
    text = "\n".join(",".join(r) for r in rows)
    assert own.candidate.iin not in text and own.candidate.iin[-4:] in text

    book = load_workbook(io.BytesIO(client.get("/exports/nominations.xlsx").data))
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert [r[0] for r in cells[1:]] == [own.reference_code]


def test_the_nominations_export_follows_the_lists_filters(app, client, auth):
    submitted = f.nomination(State.SUBMITTED)
    f.nomination(State.DRAFT)
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    rows = _csv(client.get("/exports/nominations.csv?state=submitted"))
    assert [r[0] for r in rows[1:]] == [submitted.reference_code]
    assert client.get("/exports/nominations.pdf").status_code == 404


def test_the_coordinator_exports_their_regions_members_only(app, client, auth):
    own = f.membership("KZ-75")
    other = f.membership("KZ-71")
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    rows = _csv(client.get("/register/members.csv"))
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [own.member_number]
    assert other.member_number not in numbers
    assert own.candidate.iin not in client.get("/register/members.csv").get_data(as_text=True)


def test_a_member_cannot_export_lists(app, client, auth):
    f.membership("KZ-75")
    auth.login(f.user(Role.MEMBER))
    assert client.get("/register/members.csv").status_code == 403
    assert client.get("/exports/nominations.csv").status_code == 403


def test_the_audit_holds_one_event_per_nomination_of_a_batch(app):
    noms = [f.nomination(State.FORWARDED) for _ in range(4)]
    officer = f.user(Role.SECRETARIAT)
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    batch = services.accept_all(officer, {n.id: n.version for n in noms})
    assert batch.applied
    new = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(before)))
    assert sorted((e.action, e.nomination_id) for e in new) == sorted(
        ("accept", n.id) for n in noms)
