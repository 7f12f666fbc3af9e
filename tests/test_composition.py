"""The composition page and its export: members by region, route, ethnicity, sex and age band,
and the seats of each quota against its ceiling; a coordinator counts their own region only."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests import factories as f
from tests.charts import chart_specs
from workflow import bodies
from workflow.domain import Role, Route
from workflow.extensions import db
from workflow.register.composition import age_band, composition


@pytest.fixture
def council(app, monkeypatch):
    monkeypatch.setitem(app.config, "BODY_CONFIG", bodies.load("peoples_council"))


def members():
    """Three members in Almaty, one in Astana, of several routes, sexes, ages, ethnicities."""
    a = f.membership("KZ-75", route=Route.REGIONAL, birth_date=date(1990, 6, 1))
    b = f.membership("KZ-75", route=Route.COUNCIL, birth_date=date(1950, 1, 1))
    c = f.membership("KZ-75", route=Route.REGIONAL, birth_date=date(1970, 1, 1))
    d = f.membership("KZ-71", route=Route.ASSOCIATION, birth_date=date(1985, 3, 15))
    a.candidate.ethnicity, b.candidate.ethnicity = "Uyghur", "Uyghur"
    c.candidate.ethnicity, d.candidate.ethnicity = "Korean", "Kazakh"
    a.candidate.sex = b.candidate.sex = "female"
    c.candidate.sex = d.candidate.sex = "male"
    db.session.commit()
    return a, b, c, d


@pytest.mark.parametrize(("born", "band"), [
    (date(1997, 1, 1), "under_30"), (date(1996, 11, 29), "30_44"), (date(1996, 11, 30), "under_30"),
    (date(1967, 1, 1), "45_59"), (date(1966, 11, 29), "60_plus")])
def test_the_age_band_is_the_whole_years_on_the_day(born, band):
    assert age_band(born, date(2026, 11, 29)) == band


def test_the_secretariat_counts_the_whole_body_every_way(app, english, council):
    members()
    c = composition(f.user(Role.SECRETARIAT), today=date(2026, 11, 29))
    assert c.total == 4 and c.national
    regions = dict(c.regions)
    assert regions["Almaty"] == 3 and regions["Astana"] == 1 and sum(regions.values()) == 4
    assert dict(c.routes) == {"Regional assembly session": 2, "Supreme body of an association": 1,
                              "Decision of the People's Council": 1, "Rotation": 0}
    assert c.ethnicities == [("Uyghur", 2), ("Kazakh", 1), ("Korean", 1)]
    assert dict(c.sexes) == {"Male": 2, "Female": 2}
    assert dict(c.age_bands) == {"Under 30": 0, "30 to 44": 2, "45 to 59": 1, "60 and over": 1}
    assert [(q.quota.key, q.members, q.ceiling) for q in c.quotas] == [
        ("regional", 2, 42), ("associations", 1, 42), ("council", 1, 42)]


def test_a_coordinator_counts_their_own_region_only(app, english, council):
    members()
    c = composition(f.user(Role.COORDINATOR, "KZ-71"), today=date(2026, 11, 29))
    assert c.total == 1 and not c.national
    assert c.regions == [("Astana", 1)]
    assert c.ethnicities == [("Kazakh", 1)]
    assert [(q.quota.key, q.members) for q in c.quotas] == [
        ("regional", 0), ("associations", 1), ("council", 0)]


def test_an_ended_membership_is_not_counted(app, english, council):
    from workflow.register.services import end_membership

    a, *_ = members()
    end_membership(f.user(Role.SECRETARIAT), a.id, ground="death", ended_on=a.started_on,
                   document=f.pdf())
    c = composition(f.user(Role.SECRETARIAT))
    assert c.total == 3 and c.quotas[0].members == 1


def test_the_page_shows_the_charts_and_the_quotas(app, english, client, auth, council):
    members()
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get("/register/composition").get_data(as_text=True)
    assert "Composition of People&#39;s Council" in page
    specs = chart_specs(page)
    assert set(specs) == {"chart-quotas", "chart-routes", "chart-sexes", "chart-ages",
                          "chart-ethnicities", "chart-regions"}
    assert all(spec["labels"] and spec["datasets"] for spec in specs.values())
    assert "vendor/chart.js/chart.umd.min.js" in page and "<script>" not in page
    assert "Regional assemblies" in page and "Uyghur" in page
    assert client.get("/register/").get_data(as_text=True).count("/register/composition") == 1


def test_a_coordinator_sees_their_region_and_a_member_nothing(app, english, client, auth,
                                                              council):
    members()
    auth.login(f.user(Role.COORDINATOR, "KZ-71"))
    page = client.get("/register/composition").get_data(as_text=True)
    assert "Active members of your region: 1." in page
    assert "Uyghur" not in page and "chart-regions" not in page
    auth.logout()
    auth.login(f.user(Role.MEMBER))
    assert client.get("/register/composition").status_code == 403


def test_the_export_in_csv_and_xlsx(app, english, client, auth, council):
    members()
    auth.login(f.user(Role.SECRETARIAT))
    csv = client.get("/register/composition.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = csv.get_data().decode("utf-8-sig")
    assert "Counted by,Group,Members,Ceiling" in text
    assert "Quota,Regional assemblies,2,42" in text and "Ethnicity,Uyghur,2," in text
    assert "Total,,4,126" in text
    xlsx = client.get("/register/composition.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Counted by", "Group", "Members", "Ceiling"]
    assert ["Quota", "Decision of the Council", "1", "42"] in rows
    assert client.get("/register/composition.pdf").status_code == 404


def test_the_assemblys_composition_has_no_quotas(app, english, client, auth):
    members()
    auth.login(f.user(Role.SECRETARIAT))
    page = client.get("/register/composition").get_data(as_text=True)
    assert "Composition of Assembly of People of Kazakhstan" in page
    assert "chart-quotas" not in page and "chart-routes" in page
