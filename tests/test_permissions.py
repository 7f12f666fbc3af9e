"""The role × route matrix, generated from the URL map and the permission table the views use."""

from __future__ import annotations

import pytest

from tests import factories as f
from workflow import create_app
from workflow.domain import LOGIN_ROLES
from workflow.permissions import PERMISSIONS

_app = create_app({"TIZIM_CONFIG": "testing"})
RULES = sorted(
    (r for r in _app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule
)


def placeholder_url(rule) -> str:
    """Fill every URL argument with an id that does not exist: the permission check comes first."""
    values = {arg: 999_999 if "id" in arg else "x" for arg in rule.arguments}
    with _app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def method(rule) -> str:
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_every_route_declares_who_may_open_it():
    undeclared = [
        r.endpoint for r in RULES if not hasattr(_app.view_functions[r.endpoint], "permission")
    ]
    assert undeclared == [], "mark these views with @requires(...) or @public"


@pytest.mark.parametrize("role", [*LOGIN_ROLES, None], ids=lambda r: str(r or "anonymous"))
def test_role_route_matrix(app, client, auth, role):
    if role is not None:
        auth.login(f.user(role))
    failures = []
    for rule in RULES:
        permission = app.view_functions[rule.endpoint].permission
        response = client.open(placeholder_url(rule), method=method(rule))
        code = response.status_code
        if permission is None:
            ok = code not in (401, 403)
        elif role is None and rule.rule.startswith("/api/"):
            ok = code == 401  # a program is told, not sent to the login page
        elif role is None:
            ok = code == 302 and "/auth/login" in response.headers.get("Location", "")
        elif role in PERMISSIONS[permission]:
            ok = code != 403 and code < 500
        else:
            ok = code == 403
        if not ok:
            failures.append(f"{role} {method(rule)} {rule.rule} -> {code} (permission {permission})")
        if rule.endpoint == "auth.logout" and role is not None:
            auth.login(f.user(role))  # the matrix logged us out; log in again
    assert failures == []
