"""Turn a delivery row (template name + ids) into an e-mail, in the recipient's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from workflow.domain import RETURN_REASON_LABELS
from workflow.extensions import db
from workflow.iin import redact
from workflow.mail import render
from workflow.models import AuditEvent, Nomination, User
from workflow.notifications import messages, wording
from workflow.notifications.services import stage_label


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _render(delivery, subject_key: str, subject_values: dict, **context):
    with force_locale(delivery.language):
        subject = str(messages.SUBJECTS[subject_key]) % subject_values
        return render(delivery.template, delivery.language, subject, base_url=_base(), **context)


def transition(delivery):
    event = db.session.get(AuditEvent, delivery.context["event_id"])
    nomination = db.session.get(Nomination, delivery.context["nomination_id"])
    user = db.session.get(User, delivery.user_id) if delivery.user_id else None
    with force_locale(delivery.language):
        stage = stage_label(event.to_status)
        # Staff type comments freely; an e-mail leaves Tizim, so an IIN in one is masked.
        comment = redact(event.comment or "")
        reasons = [str(RETURN_REASON_LABELS[r]) for r in (event.data or {}).get("reasons", [])
                   if r in RETURN_REASON_LABELS]
        link = f"{_base()}/nominations/{nomination.id}"
        own = wording.find("transition", event.action, delivery.language)
        if own is not None:
            return wording.render(own, {
                "person": user.name if user else "", "reference": nomination.reference_code,
                "candidate": nomination.candidate.full_name, "region": nomination.region.name,
                "stage": stage, "details": wording.details(reasons, comment), "link": link})
        return _render(
            delivery, "transition", {"code": nomination.reference_code, "stage": stage},
            person=user.name if user else "", stage=stage, nomination=nomination,
            candidate_name=nomination.candidate.full_name, region=nomination.region.name,
            sentence=str(messages.STAFF_MESSAGES.get(event.action, "")),
            comment=comment, reasons=reasons, link=link,
        )


def nominee(delivery):
    event = db.session.get(AuditEvent, delivery.context["event_id"])
    nomination = db.session.get(Nomination, delivery.context["nomination_id"])
    with force_locale(delivery.language):
        stage = stage_label(event.to_status)
        status_url = f"{_base()}{current_app.config['PUBLIC_STATUS_PATH']}"
        own = wording.find("nominee", event.action, delivery.language)
        if own is not None:
            return wording.render(own, {
                "person": nomination.candidate.full_name,
                "reference": nomination.reference_code, "stage": stage,
                "status_url": status_url})
        return _render(
            delivery, "nominee", {"code": nomination.reference_code, "stage": stage},
            person=nomination.candidate.full_name, stage=stage, code=nomination.reference_code,
            sentence=str(messages.NOMINEE_MESSAGES.get(event.action, "")),
            status_url=status_url,
        )


def reminder(delivery):


    user = db.session.get(User, delivery.user_id)
    ctx = delivery.context
    overdue = [db.session.get(Nomination, i) for i in ctx.get("overdue_ids", [])]
    return _render(delivery, "reminder", {}, person=user.name, overdue=[n for n in overdue if n],
                   overdue_total=ctx.get("overdue", 0), sessions=ctx.get("sessions", []),
                   expected_days=ctx.get("expected_days"), link=f"{_base()}/nominations/")


def digest(delivery):
    from workflow.domain import STATE_LABELS, State



    user = db.session.get(User, delivery.user_id)
    ctx = delivery.context
    with force_locale(delivery.language):
        counts = [(str(STATE_LABELS[State(s)]), n) for s, n in ctx.get("counts", [])]
    return _render(delivery, "digest", {}, person=user.name, counts=counts,
                   week=ctx.get("week"), forwarded=ctx.get("forwarded", 0),
                   overdue=ctx.get("overdue", 0), members=ctx.get("members", 0),
                   link=f"{_base()}/")


# Template name -> renderer (a delivery in, subject/text/html out, or None: nothing to send).
# Capabilities above this one add theirs in workflow.setup (the account's one-time links).
RENDERERS = {"transition": transition, "nominee": nominee, "reminder": reminder,
             "digest": digest}


def register(template: str, renderer) -> None:
    RENDERERS[template] = renderer
