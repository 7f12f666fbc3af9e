"""The administrator's wording of each transition's e-mail: placeholders, checks, rendering.

A wording is plain text in one language with ``{name}`` placeholders from a fixed list per
kind (``PLACEHOLDERS``): what the e-mail renderers can supply from the record — never the IIN.
Both the text and the HTML version of the e-mail are made from it; the HTML escapes every
character the administrator typed and every value, so nothing typed becomes markup. Without a
wording (or after "reset") the shipped templates in ``templates/email/`` are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from workflow import pipeline
from workflow.domain import RETURN_REASON_LABELS, STATE_LABELS, State
from workflow.extensions import db
from workflow.models import EmailWording, Region
from workflow.notifications import messages

# The e-mail kinds whose wording is edited: the staff's and the nominee's e-mail of a step.
KINDS = {
    "transition": _l("E-mail to staff"),
    "nominee": _l("E-mail to the nominee"),
}


@dataclass(frozen=True)
class Placeholder:
    name: str
    help: object  # a lazy string
    required: bool = False
    url: bool = False  # an address: a link in the HTML version
    multiline: bool = False  # may span lines: the body only


# TRANSLATORS: the placeholders' descriptions on the e-mail wording page
PLACEHOLDERS: dict[str, tuple[Placeholder, ...]] = {
    "transition": (
        Placeholder("person", _l("the name of the person the e-mail is addressed to")),
        Placeholder("reference", _l("the nomination's reference code"), required=True),
        Placeholder("candidate", _l("the candidate's full name")),
        Placeholder("region", _l("the nomination's region")),
        Placeholder("stage", _l("the stage the nomination has reached")),
        Placeholder("details", _l("what needs correcting and the comment, when there are any "
                                  "(several lines)"), multiline=True),
        Placeholder("link", _l("the address of the nomination's page in Tizim"), required=True,
                    url=True),
    ),
    "nominee": (
        Placeholder("person", _l("the nominee's full name")),
        Placeholder("reference", _l("the nomination's reference code"), required=True),
        Placeholder("stage", _l("the stage the nomination has reached")),
        Placeholder("status_url", _l("the address of the public status check"), required=True,
                    url=True),
    ),
}

_TOKEN = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[a-z_]+")


def actions(kind: str) -> list[pipeline.Transition]:
    """The transitions that send this kind of e-mail, in the table's order."""
    audience = ({pipeline.NOMINEE} if kind == "nominee"
                else {pipeline.COORDINATORS, pipeline.SECRETARIAT_OFFICERS})
    return [t for t in pipeline.TRANSITIONS if audience & set(t.notify or ())]


def exists(kind: str, action: str) -> bool:
    return kind in KINDS and any(t.action == action for t in actions(kind))


def problems(kind: str, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with a wording, per field ("subject", "body"), in the reader's words."""
    known = {p.name: p for p in PLACEHOLDERS[kind]}
    found: dict[str, list[str]] = {"subject": [], "body": []}
    for field, text in (("subject", subject), ("body", body)):
        for name in _TOKEN.findall(text):
            if not _NAME.fullmatch(name) or name not in known:
                found[field].append(gettext(
                    "“{%(name)s}” is not a placeholder of this e-mail: use only those listed.",
                    name=name))
            elif field == "subject" and known[name].multiline:
                found[field].append(gettext(
                    "“{%(name)s}” may span several lines: it can be used in the text only.",
                    name=name))
        if "{" in _TOKEN.sub("", text) or "}" in _TOKEN.sub("", text):
            found[field].append(gettext(
                "Braces { } are used only around a placeholder's name, such as {reference}."))
    used = set(_TOKEN.findall(body))
    for p in PLACEHOLDERS[kind]:
        if p.required and p.name not in used:
            found["body"].append(gettext("The text must contain “{%(name)s}”: %(what)s.",
                                         name=p.name, what=p.help))
    return {field: errors for field, errors in found.items() if errors}


def _fill(text: str, values: dict[str, str]) -> str:
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _html(kind: str, body: str, values: dict[str, str]) -> Markup:
    """The body as HTML paragraphs: typed text and values escaped, addresses as links."""
    urls = {p.name for p in PLACEHOLDERS[kind] if p.url}

    def piece(part: str, is_name: bool) -> Markup:
        if not is_name:
            return escape(part)
        value = values.get(part, "")
        if part in urls:
            return Markup('<a href="{0}">{0}</a>').format(value)
        return Markup("<br>").join(escape(line) for line in value.split("\n"))

    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()):
        parts = _TOKEN.split(paragraph)  # text, name, text, name, …
        line = Markup("").join(piece(p, i % 2 == 1) for i, p in enumerate(parts))
        paragraphs.append(Markup("<p>{}</p>").format(
            Markup("<br>").join(line.split("\n"))))
    return Markup("\n").join(paragraphs)


def html_body(wording: EmailWording, values: dict[str, str]) -> Markup:
    """The HTML version's body (what the preview shows inside the page)."""
    return _html(wording.kind, wording.body, values)


def render(wording: EmailWording, values: dict[str, str]) -> tuple[str, str, str]:
    """Subject, text and HTML of an e-mail from ``wording`` and the record's ``values``."""
    subject = " ".join(_fill(wording.subject, values).split())
    text = _fill(wording.body.replace("\r\n", "\n"), values).strip() + "\n"
    with force_locale(wording.language):
        html = render_template("email/wording.html", body=html_body(wording, values))
    return subject, text, html


def find(kind: str, action: str, language: str) -> EmailWording | None:
    return db.session.scalar(select(EmailWording).where(
        EmailWording.kind == kind, EmailWording.action == action,
        EmailWording.language == language))


def details(reasons: list[str], comment: str) -> str:
    """The ``{details}`` of a staff e-mail: what needs correcting, the comment (or nothing)."""
    lines = []
    if reasons:
        lines.append(f"{gettext('What needs correcting')}: {'; '.join(reasons)}")
    if comment:
        lines.append(f"{gettext('Comment')}: {comment}")
    return "\n".join(lines)


def shipped(kind: str, action: str, language: str) -> tuple[str, str]:
    """The shipped wording of this e-mail in ``language``, with its placeholders."""
    with force_locale(language):
        if kind == "nominee":
            subject = str(messages.SUBJECTS["nominee"]) % {"code": "{reference}",
                                                           "stage": "{stage}"}
            lines = [gettext("Dear %(name)s,", name="{person}"), "",
                     str(messages.NOMINEE_MESSAGES.get(action, "")), "",
                     f"{gettext('Stage')}: {{stage}}",
                     f"{gettext('Your reference code')}: {{reference}}", "",
                     gettext("You can follow your nomination at %(url)s with this reference "
                             "code.", url="{status_url}")]
        else:
            subject = str(messages.SUBJECTS["transition"]) % {"code": "{reference}",
                                                              "stage": "{stage}"}
            lines = [gettext("Hello, %(name)s.", name="{person}"), "",
                     str(messages.STAFF_MESSAGES.get(action, "")), "",
                     f"{gettext('Nomination')}: {{reference}} — {{candidate}}, {{region}}",
                     f"{gettext('Stage')}: {{stage}}", "{details}", "",
                     f"{gettext('Open the nomination')}: {{link}}"]
    body = "\n".join(lines)
    return subject, re.sub(r"\n{3,}", "\n\n", body)


def sample(kind: str, action: str, language: str) -> dict[str, str]:
    """Values for the preview: made up, in ``language``; never a real person's."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    target = pipeline.BY_ACTION[action].target
    with force_locale(language):
        region = db.session.scalar(select(Region).where(Region.iso_code == "KZ-75"))
        reasons = ([str(RETURN_REASON_LABELS[r]) for r in list(RETURN_REASON_LABELS)[:2]]
                   if action == "return" else [])
        return {
            "person": gettext("Aigerim Seitkali") if kind == "nominee"
            else gettext("Daniyar Abenov"),
            "reference": "KM4T-7XQ9",
            "candidate": gettext("Aigerim Seitkali"),
            "region": region.name if region else "",
            "stage": str(STATE_LABELS[State(target)]),
            "details": details(reasons, gettext("Please attach the signed consent form.")
                               if reasons else ""),
            "link": f"{base}/nominations/1",
            "status_url": f"{base}{current_app.config['PUBLIC_STATUS_PATH']}",
        }


def save(actor, kind: str, action: str, language: str, subject: str, body: str) -> None:
    """Keep the administrator's wording (checked by the form; checked again here).

    :raise Refusal: an unknown e-mail (404) or a wording with wrong placeholders (422).
    """
    from workflow.database import transaction
    from workflow.refusal import Refusal, not_found

    if not exists(kind, action) or language not in current_app.config["LANGUAGES"]:
        raise not_found()
    found = problems(kind, subject, body)
    if found:
        field, errors = next(iter(found.items()))
        raise Refusal(errors[0], code="invalid", field=field, status=422)
    with transaction(actor=actor):
        row = find(kind, action, language)
        if row is None:
            row = EmailWording(kind=kind, action=action, language=language)
            db.session.add(row)
        row.subject, row.body = subject.strip(), body.replace("\r\n", "\n").strip()
        row.updated_by_id = getattr(actor, "id", None)


def reset(actor, kind: str, action: str, language: str) -> bool:
    """Go back to the shipped wording; False when there was nothing of the administrator's."""
    from workflow.database import transaction

    with transaction(actor=actor):
        row = find(kind, action, language)
        if row is None:
            return False
        db.session.delete(row)
        return True


def overview() -> dict[tuple[str, str, str], EmailWording]:
    """Every wording the administrator wrote, by (kind, action, language)."""
    return {(w.kind, w.action, w.language): w for w in db.session.scalars(select(EmailWording))}


def draft(kind: str, action: str, language: str, subject: str, body: str) -> EmailWording:
    """A wording not kept (the preview's): the same rendering as a saved one."""
    return EmailWording(kind=kind, action=action, language=language, subject=subject,
                        body=body)
