"""Associations: the same one cannot be added twice (issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests import factories as f
from workflow.associations import services
from workflow.domain import AssociationKind, AssociationLevel, Role, name_key
from workflow.extensions import db
from workflow.models import Association
from workflow.refusal import Refusal


@pytest.mark.parametrize(("a", "b"), [
    ("Украинский культурный центр", "украинский  культурный центр "),
    ("Ассоциация «Возрождение»", 'Ассоциация "Возрождение"'),
    ("Объединение «Ёлка»", "объединение елка"),
    ("Татаро-башкирский центр", "Татаро - башкирский центр"),
])
def test_names_that_differ_only_in_writing_are_the_same(a, b):
    assert name_key(a) == name_key(b)


def test_different_names_stay_different():
    assert name_key("Украинский центр") != name_key("Узбекский центр")


def count(name: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Association).where(
        Association.name_key == name_key(name)))


def test_a_coordinator_cannot_add_the_same_association_twice(app, client, auth, english):
    auth.login(f.user(Role.COORDINATOR, "KZ-75"))
    form = {"name": "Украинский культурный центр", "kind": AssociationKind.ETHNO_CULTURAL}
    assert client.post("/associations/new", data=form).status_code == 302
    again = client.post("/associations/new", data={**form, "name": "«украинский культурный центр»"})
    page = again.get_data(as_text=True)
    assert "This association is already in the list" in page
    assert count("Украинский культурный центр") == 1
    listing = client.get("/associations/").get_data(as_text=True)
    assert listing.count("Украинский культурный центр") == 1


def test_another_region_may_have_an_association_of_the_same_name(app):
    fields = {"name": "Украинский культурный центр", "kind": AssociationKind.ETHNO_CULTURAL}
    services.create(f.user(Role.COORDINATOR, "KZ-75"), fields)
    services.create(f.user(Role.COORDINATOR, "KZ-71"), fields)
    assert count(fields["name"]) == 2


def test_renaming_into_a_twin_is_refused_and_a_deactivated_twin_is_named(app, english):
    coordinator = f.user(Role.COORDINATOR, "KZ-75")
    first = services.create(coordinator, {"name": "Центр «Достық»", "kind": "ethno_cultural"})
    second = services.create(coordinator, {"name": "Центр «Бірлік»", "kind": "ethno_cultural"})
    services.set_active(coordinator, first.id, False)
    with pytest.raises(Refusal, match="deactivated") as refused:
        services.update(coordinator, second.id, {"name": "центр достық", "kind": "ethno_cultural"})
    assert refused.value.field == "name" and refused.value.status == 409


def test_a_republican_association_is_not_added_twice_whatever_its_seat(app):
    officer = f.user(Role.SECRETARIAT)
    fields = {"name": "Ассоциация корейцев Казахстана", "kind": "ethno_cultural",
              "level": AssociationLevel.REPUBLICAN}
    services.create(officer, {**fields, "region_id": f.region("KZ-75").id})
    with pytest.raises(Refusal):
        services.create(officer, {**fields, "region_id": f.region("KZ-71").id})


def test_the_database_refuses_a_twin_written_around_the_service(app):
    region = f.region("KZ-75")
    db.session.add(Association(name="Центр «Достық»", level="regional", kind="ethno_cultural",
                               region=region))
    db.session.commit()
    db.session.add(Association(name="центр достық", level="regional", kind="ethno_cultural",
                               region=region))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
