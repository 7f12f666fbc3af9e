"""No input from anyone yields a server error (issue 11, item 8).

Generated from the URL map and from every form class in ``workflow``: each route is opened by
each role (and anonymously) with real ids and with ids beyond the database's integer, with
query arguments and form bodies in which a seeded random share of the fields is hostile (huge
and negative numbers, NUL and control characters, 10,000 characters, malformed dates, text
direction overrides, formulas, an IIN, an address off the site), with everything missing,
and with a method the route does not take. Then the database must still hold together: no
status without its audit event, no row without its file or file without its row, no person
without their nomination, no ended membership without its basis document.

Bounded: a fixed seed and a fixed number of tries per route and role (about ten seconds of
requests per backend on a quiet machine).
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import random
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FileField,
    Form,
    FormField,
    IntegerField,
    SelectFieldBase,
)
from wtforms.fields.core import UnboundField

import workflow
from tests import factories as f
from tests.security_world import (
    build,
    files_in,
    memberships_without_a_basis,
    not_ready,
    url_for_rule,
)
from workflow.domain import LOGIN_ROLES
from workflow.extensions import db
from workflow.permissions import PERMISSIONS

SEED = 11
TRIES = 4  # random mixes of plausible and hostile values per route, method and allowed role
HOSTILE_SHARE = 0.3

# Values that reach the views: each must be refused by a form, or stored and shown safely.
HOSTILE = [
    "2147483648", "-2147483649", "9" * 40, "-1", "0", "1e309", "NaN",
    "x" * 10_000, "ж" * 10_000, "\u200fИванов\u200e", "Иванов\u0301",
    "2026-02-30", "0001-01-01", "9999-12-31", "31.12.2020", "2026-11-29T10:00:00",
    "=HYPERLINK(\"http://evil.example\")", "+1-1", "@SUM(A1)", "<script>alert(1)</script>",
    "' OR 1=1 --", "850315 400015", "/%09/evil.example", "//evil.example", "",
]
# Values refused at the door (workflow.security): no view ever reads them.
CONTROL = ["\x00", "Иван\x00ов", "\x07\x1b[2J", "\u202eвонавИ", "\u2066x\u2069",
           "\x85", "\x7f"]
HOSTILE_IDS = ["2147483648", "99999999999999999999", "0"]
WRONG_METHODS = ("PUT", "DELETE", "PATCH")


def every_form_class() -> list[type[Form]]:
    for module in pkgutil.walk_packages(workflow.__path__, "workflow."):
        if module.name.endswith("forms"):
            importlib.import_module(module.name)
    seen, stack = [], list(Form.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.append(cls)
            stack.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.startswith("workflow.")]


def unbound_fields(form_class) -> dict[str, UnboundField]:
    fields = {}
    for klass in reversed(form_class.__mro__):
        fields.update({k: v for k, v in vars(klass).items() if isinstance(v, UnboundField)})
    return fields


def plausible(field: UnboundField, name: str, ids: dict[str, int]):
    """A value the field would accept on its own, so hostile values reach deeper code."""
    kind = field.field_class
    if issubclass(kind, FileField):
        return lambda: FileStorage(io.BytesIO(f.PDF), filename="plausible.pdf",
                                   content_type="application/pdf")
    if issubclass(kind, DateField):
        return "2020-01-15"
    if issubclass(kind, IntegerField):
        return str(ids.get(name, 1))
    if issubclass(kind, BooleanField):
        return "y"
    if issubclass(kind, EmailField) or name.endswith("email"):
        return "fuzz@test.kz"
    if issubclass(kind, SelectFieldBase):
        choices = field.kwargs.get("choices") or (field.args[1] if len(field.args) > 1 else None)
        if isinstance(choices, list | tuple) and choices:
            first = choices[-1]
            return str(getattr(first, "value", first[0] if isinstance(first, tuple) else first))
        return "1"
    return "Текст"


def form_fields(ids: dict[str, int]) -> dict[str, object]:
    """Every field name of every form, with a plausible value (list fields: their first entry)."""
    names: dict[str, object] = {"lang": "kk", "next": "/", "code": "ACDE-FHJK"}
    for form_class in every_form_class():
        for name, field in unbound_fields(form_class).items():
            if issubclass(field.field_class, FieldList):
                inner = field.args[0] if field.args else None
                sub = inner.args[0] if isinstance(inner, UnboundField) and inner.args else None
                if sub is not None and issubclass(inner.field_class, FormField):
                    for sub_name, sub_field in unbound_fields(sub).items():
                        names[f"{name}-0-{sub_name}"] = plausible(sub_field, sub_name, ids)
                continue
            names[name] = plausible(field, name, ids)
    return names


def query_arguments() -> list[str]:
    """Every query argument a view or service reads (found in the source)."""
    root = Path(workflow.__file__).parent
    found = set()
    for source in root.rglob("*.py"):
        found.update(re.findall(r"args(?:\.get)?\(?\[?[\"']([a-z_]+)[\"']", source.read_text()))
    return sorted(found)


def mix(rng: random.Random, plausible_values: dict[str, object], share: float,
        hostile: list[str]) -> dict:
    """The plausible values, a random ``share`` of them replaced by one of ``hostile``."""
    body = {}
    for name, value in plausible_values.items():
        if rng.random() < share:
            body[name] = rng.choice(hostile)
        else:
            body[name] = value() if callable(value) else value
    return body


def login(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")
    if user is not None:
        db.session.commit()
        assert client.post("/auth/login", data={"email": user.email,
                                               "password": f.PASSWORD}).status_code == 302
    return client


def hold_together(app, files_before: set[Path], last_document_before: int) -> list[str]:
    """What must be true of the database whatever was sent to it."""
    from workflow.documents.services import storage_path
    from workflow.models import AuditEvent, Candidate, Document, IssuedPaper, Nomination
    from workflow.papers.services import file_path

    db.session.expire_all()
    problems = []
    last_event = (db.select(AuditEvent.nomination_id, db.func.max(AuditEvent.id).label("last"))
                  .group_by(AuditEvent.nomination_id).subquery())
    mismatched = db.session.execute(
        db.select(Nomination.id, Nomination._status, AuditEvent.to_status)
        .outerjoin(last_event, last_event.c.nomination_id == Nomination.id)
        .outerjoin(AuditEvent, AuditEvent.id == last_event.c.last)
        .where((AuditEvent.to_status.is_(None)) | (AuditEvent.to_status != Nomination._status))
    ).all()
    problems += [f"nomination {n} is {s} but its last event says {t}" for n, s, t in mismatched]
    orphans = db.session.scalars(db.select(Candidate.id).where(
        ~db.exists().where(Nomination.candidate_id == Candidate.id))).all()
    problems += [f"candidate {c} has no nomination" for c in orphans]
    new_documents = db.session.scalars(db.select(Document).where(
        Document.id > last_document_before)).all()
    paths = {storage_path(d) for d in new_documents}
    problems += [f"document {d.id} has no file" for d in new_documents
                 if not storage_path(d).exists()]
    # Issued papers (sealed PDFs) are kept in the same store, each under its own row.
    paths |= {file_path(paper) for paper in db.session.scalars(
        db.select(IssuedPaper).where(IssuedPaper.storage_key.is_not(None)))}
    # Files that wait by design, a day at most: a refused form's for its next send
    # (workflow.documents.pending) and a register file between its dry run and its import
    # (workflow.register.imports). Every other new file belongs to a row.
    waiting = [Path(app.config["UPLOAD_DIR"]) / name for name in ("pending", "register-imports")]
    new_files = {p for p in files_in(app.config["UPLOAD_DIR"]) - files_before
                 if not any(folder in p.parents for folder in waiting)}
    problems += [f"file {p.name} has no document or paper row" for p in new_files - paths]
    problems += [f"membership {m} ended without a basis" for m in memberships_without_a_basis()]
    return problems


@pytest.mark.slow
def test_no_input_from_anyone_yields_a_server_error(app):
    from workflow.models import Document

    world = build(app)
    rng = random.Random(SEED)
    values = form_fields(world.ids)
    arguments = {name: values.get(name, "1") for name in query_arguments()}
    files_before = files_in(app.config["UPLOAD_DIR"])
    last_document = db.session.scalar(db.select(db.func.max(Document.id))) or 0
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"),
                   key=lambda r: r.rule)
    failures: list[str] = []
    requests = 0

    for role in (None, *LOGIN_ROLES):
        user = world.users.get(role)
        client = login(app, user)
        for rule in rules:
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            paths = [url_for_rule(rule, world)]
            paths += [url_for_rule(rule, world, {a: bad for a in rule.arguments if a.endswith("id")})
                      for bad in HOSTILE_IDS if any(a.endswith("id") for a in rule.arguments)]
            permission = app.view_functions[rule.endpoint].permission
            allowed = permission is None or role in PERMISSIONS[permission]
            tries = []
            for method in methods:
                source = values if method == "POST" else arguments
                tries.append((method, paths[0], mix(rng, source, 1.0, HOSTILE)))
                if not allowed:  # refused before any input is read: one try is enough
                    continue
                tries.append((method, paths[0], {}))  # everything missing
                tries.append((method, paths[0], mix(rng, source, HOSTILE_SHARE, CONTROL)))
                tries += [(method, rng.choice(paths), mix(rng, source, HOSTILE_SHARE, HOSTILE))
                          for _ in range(TRIES)]
            tries.append((rng.choice(WRONG_METHODS), paths[0], {}))
            for method, path, data in tries:
                requests += 1
                try:
                    if method == "GET":
                        response = client.get(path, query_string=data)
                    else:
                        response = client.open(path, method=method, data=data)
                    status = response.status_code
                except Exception as error:  # noqa: BLE001 - what the person would see as a 500
                    status, response = 500, repr(error)
                if status >= 500 and not not_ready(rule, response):
                    shown = {k: (v[:40] if isinstance(v, str) else v) for k, v in data.items()
                             if v != values.get(k)}
                    failures.append(f"{role or 'anonymous'} {method} {path} -> {status} "
                                    f"with {shown}"[:600])
                db.session.rollback()
                location = getattr(response, "headers", {}).get("Location", "")
                if user is not None and (rule.endpoint == "auth.logout"
                                         or status in (302, 303) and "/auth/login" in location):
                    client = login(app, user)  # logged out (on purpose or not): in again

    assert requests > 800
    assert failures == [], f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
    assert hold_together(app, files_before, last_document) == []
