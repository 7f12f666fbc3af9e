"""The API against its own served description (issue 15): schemathesis reads
/api/v1/openapi.json from the app and sends every operation generated requests, as each role
(with a token), and as nobody; no answer is a server error, and every answer — its status, its
content type and its body — is the one the document declares.

Bounded: ``EXAMPLES`` requests per operation and role, so the file runs in about a minute on
two cores. ``TIZIM_API_EXAMPLES`` raises it for a longer hunt.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories as f
from workflow.account import tokens
from workflow.domain import Role, State
from workflow.extensions import db

EXAMPLES = int(os.environ.get("TIZIM_API_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Staff call with their tokens; members hold none, so they come with a signed-in browser's
# session cookie (reads; their writes are refused by role). Administrators have no use of the
# API (no permission of theirs is served by it).
ROLES = ("coordinator", "secretariat", "member", "nobody")
AGENT = {"User-Agent": "tizim-schema-test"}  # one agent: the session is bound to it


def fresh_contexts(app, sent: list):
    """Each request in its own app context, as in production (no ``g`` carried over)."""

    def wsgi(environ, start_response):
        sent.append(environ["REQUEST_METHOD"])
        with app.app_context():
            return list(app.wsgi_app(environ, start_response))

    return wsgi


@pytest.fixture
def world(app):
    """Nominations of two regions in a few states, a session with an agenda, a member; a
    token for each role that holds one, a signed-in session for the others."""
    for state in (State.DRAFT, State.FORWARDED, State.ON_AGENDA):
        f.nomination(state, region_code="KZ-75")
        f.nomination(state, region_code="KZ-71")
    f.membership("KZ-75")
    users = {"coordinator": f.user(Role.COORDINATOR, "KZ-75"),
             "secretariat": f.user(Role.SECRETARIAT)}
    browsers = {"member": f.user(Role.MEMBER)}
    db.session.commit()
    headers = {"nobody": {}}
    for role, user in users.items():
        _row, plain = tokens.create(user, "schemathesis", 30)
        headers[role] = {"Authorization": f"Bearer {plain}"}
    for role, user in browsers.items():
        browser = app.test_client()
        assert browser.post("/auth/login", headers=AGENT, data={
            "email": user.email, "password": f.PASSWORD}).status_code == 302
        name = app.config["SESSION_COOKIE_NAME"]
        headers[role] = {"Cookie": f"{name}={browser.get_cookie(name).value}"}
        assert browser.get("/api/v1/members", headers=AGENT).status_code == 200
    return headers


@pytest.mark.slow
def test_every_answer_is_the_documented_one(app, world):
    """Every operation of the served document, ``EXAMPLES`` generated requests each, each sent
    as every role. (Hypothesis is driven here directly: schemathesis's pytest collection does
    not run under this pytest.)"""
    sent: list[str] = []
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fresh_contexts(app, sent))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        # Data that fits the document, and data that does not (which must be refused, in a
        # documented way: a 4xx problem, never a 5xx).
        @given(case=operation.as_strategy() | operation.as_strategy(GenerationMode.NEGATIVE))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def answers_as_documented(case):
            for role in ROLES:  # the same request as each role
                case.call_and_validate(headers={**world[role], **AGENT, "Accept-Language": "ru"},
                                       checks=CHECKS)

        answers_as_documented()
    # The run sent what it says: every operation, as every role (the test can fail).
    assert len(sent) >= len(operations) * len(ROLES) * 2
    assert {"GET", "POST"} <= set(sent)


def test_the_document_is_openapi_3_1_generated_from_the_views(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    rules = {r.rule.replace("<int:", "{").replace(">", "}")
             for r in app.url_map.iter_rules()
             if r.endpoint.startswith("api.") and r.endpoint not in ("api.openapi",
                                                                     "api.documentation")}
    assert set(document["paths"]) == rules  # every endpoint is described, nothing else
    transitions = document["paths"]["/api/v1/nominations/{nomination_id}/transitions"]["post"]
    assert {"200", "409", "422", "404"} <= set(transitions["responses"])
    assert "application/problem+json" in transitions["responses"]["409"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in transitions["parameters"])
    assert document["paths"]["/api/v1/status"]["post"]["security"] == []
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_documentation_page_uses_only_vendored_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/static/api-docs.js" in html and "<script>" not in html
    assert "https://" not in html.split("</nav>")[-1]  # no CDN
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
