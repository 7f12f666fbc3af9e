"""The body Tizim serves is configuration (workflow/data/bodies/*.toml), checked at start."""

import html as html_module
import io
from datetime import datetime
from pathlib import Path

import pytest

from config import ConfigError
from workflow import bodies, create_app
from workflow.domain import Route, State
from workflow.extensions import db

SHIPPED = sorted(p.stem for p in bodies.BODIES_DIR.glob("*.toml"))

GOOD = """
key = "test_body"
routes = ["regional", "council"]
members = 10
name = { kk = "Кеңес", ru = "Совет", en = "Council" }
[certificate]
title = { kk = "КУӘЛІК", ru = "УДОСТОВЕРЕНИЕ" }
member_of = { kk = "мүшесі.", ru = "член." }
[groups.ethno]
name = { kk = "Этномәдени", ru = "Этнокультурные", en = "Ethno-cultural" }
association_kinds = ["ethno_cultural"]
[[quotas]]
key = "almaty"
region = "KZ-75"
name = { kk = "Алматы", ru = "Алматы", en = "Almaty" }
ceiling = 3
[[quotas]]
key = "ethno"
group = "ethno"
name = { kk = "Этномәдени", ru = "Этнокультурные", en = "Ethno-cultural" }
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "body.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_body_is_valid(name):
    body = bodies.load(name)
    assert body.key == name
    assert all(body.name.model_dump().values())


def test_the_default_is_the_assembly_as_tizim_always_served_it():
    body = bodies.load()
    assert body.key == "assembly"
    assert body.routes == tuple(Route)
    assert not body.capped and body.voting is None  # nothing refused, COUNCIL_* settings hold
    assert body.name.kk == "Қазақстан халқы Ассамблеясы"


def test_the_peoples_council_has_three_quotas_of_42_filling_its_126_seats():
    body = bodies.load("peoples_council")
    assert body.members == 126
    assert [(q.route, q.ceiling) for q in body.quotas] == [
        (Route.REGIONAL, 42), (Route.ASSOCIATION, 42), (Route.COUNCIL, 42)]
    assert sum(q.ceiling for q in body.quotas) == body.members


def test_a_file_of_ones_own_is_read_from_its_path(tmp_path):
    body = bodies.load(write(tmp_path, GOOD))
    assert [q.key for q in body.quotas] == ["almaty", "ethno"]
    assert body.groups["ethno"].association_kinds == ("ethno_cultural",)


@pytest.mark.parametrize(("change", "says"), [
    (lambda t: t.replace('region = "KZ-75"', 'region = "KZ-99"'), "KZ-99"),
    (lambda t: t.replace('region = "KZ-75"', 'region = "KZ-75"\nroute = "regional"'),
     "exactly one of route, region or group"),
    (lambda t: t.replace('group = "ethno"', 'group = "nobody"'), "does not define"),
    (lambda t: t.replace("ceiling = 3", "ceiling = -1"), "quotas.0.ceiling"),
    (lambda t: t.replace('"council"]', '"council", "by_lot"]'), "routes.2"),
    (lambda t: t.replace('en = "Council" ', "").replace('ru = "Совет", ', 'ru = "Совет" '),
     "name.en"),
    (lambda t: t.replace("members = 10", "members = 10\ncolour = 'blue'"), "colour"),
    (lambda t: t + '[voting]\ncouncil_quorum = ">=1/3"\ncouncil_majority = ">1/2"\n',
     "below one half"),
    (lambda t: t.replace('key = "ethno"', 'key = "almaty"'), "same key"),
    (lambda t: t.replace('routes = [', 'routes = [[['), "not a valid TOML file"),
    (lambda t: t + '[route_names.rotation]\nkk = "Р"\nru = "Р"\nen = "R"\n',
     "route_names names rotation"),
])
def test_a_broken_file_is_refused_naming_the_file_and_the_setting(tmp_path, change, says):
    path = write(tmp_path, change(GOOD))
    with pytest.raises(ConfigError) as refused:
        bodies.load(path)
    assert path in str(refused.value) and says in str(refused.value)


def test_the_application_does_not_start_on_a_broken_body(tmp_path):
    path = write(tmp_path, GOOD.replace("ceiling = 3", "ceiling = 'many'"))
    with pytest.raises(ConfigError, match="quotas.0.ceiling"):
        create_app({"TIZIM_CONFIG": "testing", "BODY": path})
    with pytest.raises(ConfigError, match="shipped bodies: assembly, peoples_council"):
        create_app({"TIZIM_CONFIG": "testing", "BODY": "parliament"})


def test_a_body_with_its_own_voting_rule_sets_the_councils(tmp_path):
    path = write(tmp_path, GOOD + '[voting]\ncouncil_quorum = ">1/2"\ncouncil_majority = ">1/2"\n')
    app = create_app({"TIZIM_CONFIG": "testing", "BODY": path})
    assert (app.config["COUNCIL_QUORUM"], app.config["COUNCIL_MAJORITY"]) == (">1/2", ">1/2")
    assert app.config["BODY_CONFIG"].key == "test_body"


def test_the_page_footer_names_the_body_served(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BODY_CONFIG", bodies.load("peoples_council"))
    page = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Народный совет" in page and "Ассамблея народа Казахстана" not in page.split(
        "<footer")[-1]


def test_a_route_is_named_in_the_bodys_words_where_its_file_says(app, client, auth, make,
                                                                  monkeypatch):
    from workflow.domain import Role

    monkeypatch.setitem(app.config, "BODY_CONFIG", bodies.load("peoples_council"))
    make.nomination(State.RECOMMENDED, route=Route.COUNCIL)
    auth.login(make.user(Role.SECRETARIAT))
    page = client.get("/orders/new", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Решение Народного совета" in page and "Совет Ассамблеи" not in page
    # The person's page (personal data) names the route as every other page does.
    nomination = make.nomination(State.RECOMMENDED, route=Route.COUNCIL)
    db.session.commit()
    person = client.get(f"/privacy/people/{nomination.candidate_id}",
                        headers={"Accept-Language": "ru"})
    assert person.status_code == 200
    assert "Решение Народного совета" in person.get_data(as_text=True)
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        assert bodies.route_label("council") == "Халық кеңесінің шешімі"
        assert bodies.route_label("regional") == "Өңірлік ассамблея сессиясы"


def test_only_the_bodys_routes_are_taken(app, make, monkeypatch):
    from workflow.refusal import Refusal

    body = bodies.load("assembly").model_copy(update={"routes": (Route.COUNCIL,)})
    monkeypatch.setitem(app.config, "BODY_CONFIG", body)
    with pytest.raises(Refusal) as refused:
        make.nomination()  # the regional route
    assert refused.value.code == "not_allowed"
    assert make.nomination(State.UNDER_REVIEW, route=Route.COUNCIL).route == Route.COUNCIL


# What a member, a nominee and an e-mail read names the body served, never another one. The
# words of the Assembly: its name in any case form (the regional assemblies are lower case).
ASSEMBLY_WORDS = ("Ассамбле", "Assembly", "АССАМБЛЕ")


def _no_assembly(text: str, where: str) -> None:
    found = [w for w in ASSEMBLY_WORDS if w in text]
    assert not found, f"{where} names the Assembly ({found}) under the People's Council"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_under_the_peoples_council_nothing_a_member_or_nominee_reads_names_the_assembly(
        app, client, auth, monkeypatch, language):
    from pypdf import PdfReader

    from tests.factories import PASSWORD, membership
    from workflow import mail
    from workflow.auth.services import set_password
    from workflow.domain import STATE_LABELS
    from workflow.notifications.messages import NOMINEE_MESSAGES
    from workflow.papers import content
    from workflow.public.services import STAGES

    monkeypatch.setitem(app.config, "BODY_CONFIG", bodies.load("peoples_council"))
    name = {"kk": "Халық кеңесі", "ru": "Народного совета", "en": "People's Council"}[language]
    with app.test_request_context(headers={"Accept-Language": language}):
        for state, (stage, then) in STAGES.items():
            _no_assembly(f"{stage} {then}", f"the nominee's stage {state}")
        for action, text in NOMINEE_MESSAGES.items():
            _no_assembly(str(text), f"the nominee's message for {action}")
        assert name in str(STATE_LABELS[State.MEMBER])
    for template in ("account_invitation", "consent_request"):
        with app.test_request_context():
            _, text, html = mail.render(template, language, "—", link="https://tizim.kz/x",
                                        person="Айгүл", expires_at=datetime(2026, 12, 1))
        _no_assembly(text + html, f"the e-mail {template}")
        assert name in text and name in html_module.unescape(html)

    member = membership()
    set_password(member.user, PASSWORD)
    db.session.commit()
    client.set_cookie("lang", language)
    auth.login(member.user)
    home = html_module.unescape(client.get("/").get_data(as_text=True))
    _no_assembly(home, "the member's home page")
    assert name in home
    pdf = client.get(f"/members/{member.id}/certificate.pdf")
    assert pdf.status_code == 200
    printed = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    _no_assembly(printed, "the certificate")
    assert "ХАЛЫҚ КЕҢЕСІ" in printed or "НАРОДНЫЙ СОВЕТ" in printed
    assert content.body_of("certificate", content.facts("certificate", member))[1] == \
        "Секретариат Народного совета"
