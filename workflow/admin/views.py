from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from workflow.admin import services
from workflow.admin.forms import AuditFilterForm, RegionRulesForm, UserForm
from workflow.audit import ENTITY_TYPES
from workflow.domain import ROLE_LABELS
from workflow.events import ENTITY_TYPE_LABELS, VIA_LABELS, action_label
from workflow.extensions import db
from workflow.models import AuditEvent, Region, User
from workflow.permissions import requires, scoped
from workflow.refusal import handled
from workflow.secretariat.exports import FORMATS, to_csv

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.sort_order)))


def _account_fields(form: UserForm) -> dict:
    return {"name": form.name.data, "email": form.email.data, "role": form.role.data,
            "region_id": form.region_id.data or None, "language": form.language.data or None}


# --- Accounts. ----------------------------------------------------------------------------------


@bp.route("/users")
@requires("admin.users")
def users():
    """List every user with role, region, language, last login; the actions on each."""
    rows = db.session.scalars(
        scoped(select(User), current_user).options(joinedload(User.region))
        .order_by(User.role, User.email)
    )
    return render_template("admin/users.html", users=list(rows), action_form=FlaskForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def new_user():
    """Create an account; the person gets the invitation and sets their own password."""
    form = UserForm(regions=_regions())
    if form.validate_on_submit():
        with handled(form):
            user = services.create_account(current_user, **_account_fields(form))
            flash(_("Account created; the invitation is on its way to %(email)s.",
                    email=user.email), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None), (
        422 if form.errors else 200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("admin.users")
def edit_user(user_id: int):
    """Change a user's name, e-mail, role, region and language."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserForm(obj=user, regions=_regions())
    if request.method == "GET":
        form.region_id.data = user.region_id or 0
        form.language.data = user.language or ""
    if form.validate_on_submit():
        with handled(form):
            services.update_account(current_user, user_id, **_account_fields(form))
            flash(_("Changes saved."), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=user), (
        422 if form.errors else 200)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("admin.users")
def set_active(user_id: int):
    """Deactivate an account (its sessions end) or make it active again."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    with handled():
        user = services.set_active(current_user, user_id, active)
        flash(_("%(name)s can log in again.", name=user.name) if active else
              _("%(name)s is deactivated and logged out everywhere.", name=user.name), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/link", methods=["POST"])
@requires("admin.users")
def send_link(user_id: int):
    """Send the invitation again, or a link to set a new password."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    with handled():
        sent = services.send_link(current_user, user_id)
        flash(_("The invitation is on its way again.") if sent == "invitation_sent"
              else _("A link to set a new password is on its way."), "success")
    return redirect(url_for(".users"))


# --- The regions' voting rules. -----------------------------------------------------------------


@bp.route("/regions")
@requires("admin.users")
def regions():
    """The 20 regions with their session rule and expected days per state."""
    return render_template("admin/regions.html", regions=_regions())


@bp.route("/regions/<int:region_id>/edit", methods=["GET", "POST"])
@requires("admin.users")
def edit_region(region_id: int):
    """Change a region's quorum, majority and expected days per state."""
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    form = RegionRulesForm(obj=region)
    if form.validate_on_submit():
        with handled(form):
            services.update_region_rules(
                current_user, region_id, quorum=form.session_quorum.data,
                majority=form.session_majority.data, expected_days=form.expected_days.data)
            flash(_("Changes saved."), "success")
            return redirect(url_for(".regions"))
    return render_template("admin/region_form.html", form=form, region=region), (
        422 if form.errors else 200)


# --- The audit trail. ---------------------------------------------------------------------------


def _filter_form() -> tuple[AuditFilterForm, services.AuditFilter]:
    form = AuditFilterForm(request.args)
    actors = db.session.scalars(select(User).order_by(User.name))
    form.actor.choices = [SelectChoice(0, "—")] + [
        SelectChoice(u.id, f"{u.name} ({u.email})") for u in actors]
    form.entity_type.choices = [SelectChoice("", "—")] + [
        SelectChoice(t, ENTITY_TYPE_LABELS.get(t, t)) for t in sorted(ENTITY_TYPES)]
    actions = sorted(set(db.session.scalars(select(AuditEvent.action).distinct())))
    form.action.choices = [SelectChoice("", "—")] + [
        SelectChoice(a, action_label(a)) for a in actions]
    if not request.args or not form.validate():
        return form, services.AuditFilter()
    return form, services.AuditFilter(
        actor_id=form.actor.data or None, entity_type=form.entity_type.data or None,
        action=form.action.data or None, since=form.since.data, until=form.until.data,
        reference=form.reference.data or None)


def _before() -> int | None:
    raw = request.args.get("before", "")
    return int(raw) if raw.isdigit() else None


@bp.route("/audit")
@requires("audit.view")
def audit():
    """The audit trail, newest first, filtered by who, what, when and which nomination."""
    form, criteria = _filter_form()
    events, next_before = services.audit_page(criteria, before=_before())
    query = {k: v for k, v in request.args.items() if k != "before"}
    return render_template("admin/audit.html", form=form, events=events, describe=services.described,
                           comment_shown=services.comment_shown, next_before=next_before,
                           query=query, ENTITY_TYPE_LABELS=ENTITY_TYPE_LABELS,
                           VIA_LABELS=VIA_LABELS), (
        422 if form.errors else 200)


@bp.route("/audit.csv")
@requires("audit.view")
def audit_csv():
    """The filtered events as CSV, in the reader's language; never an IIN."""
    form, criteria = _filter_form()
    if form.errors:
        abort(422)
    header = [_("When"), _("Who"), _("Role"), _("Through"), _("What"), _("Record"),
              _("Nomination"), _("Action"), _("Event"), _("Details"), _("Comment")]
    rows = services.audit_rows(services.all_events(criteria), labels={
        "role": ROLE_LABELS, "entity_type": ENTITY_TYPE_LABELS, "via": VIA_LABELS,
        "action": action_label})
    return Response(to_csv(header, rows), mimetype=FORMATS["csv"], headers={
        "Content-Disposition": "attachment; filename=tizim-audit.csv",
        "Cache-Control": "no-store"})
