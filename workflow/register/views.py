from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflow.domain import END_GROUND_LABELS, ROUTE_LABELS, SEX_LABELS
from workflow.extensions import db
from workflow.models import Association, ChairmanOrder, Region
from workflow.nominations.services import timeline
from workflow.permissions import requires, scoped
from workflow.refusal import handled
from workflow.register import composition as composition_service
from workflow.register import imports, services
from workflow.register.forms import (
    EndMembershipForm,
    RegisterImportForm,
    RegisterImportRunForm,
)
from workflow.secretariat import exports

bp = Blueprint("register", __name__, url_prefix="/register")


def filter_options() -> dict:
    return {
        "regions": list(db.session.scalars(select(Region).order_by(Region.sort_order))),
        "associations": list(db.session.scalars(
            scoped(select(Association), current_user).order_by(Association.name))),
        "ethnicities": services.ethnicities(current_user),
        "routes": ROUTE_LABELS, "sexes": SEX_LABELS, "age_bands": services.AGE_BAND_LABELS,
    }


@bp.route("/")
@requires("register.view")
def index():
    """Search and filter the register of members."""
    filters = services.Filters.from_args(request.args)
    page = services.search(current_user, filters, after=request.args.get("after", type=int))
    return render_template("register/index.html", page=page, filters=filters,
                           args=filters.as_args(), **filter_options())


@bp.route("/export.<fmt>")
@requires("register.view")
def export(fmt: str):
    """Download the filtered register as CSV or XLSX, with full IINs (Secretariat only)."""
    if fmt not in exports.FORMATS:
        abort(404)
    filters = services.Filters.from_args(request.args)
    header, rows = exports.register_table(current_user, services.all_matching(current_user, filters))
    return exports.download(fmt, "register", header, rows)


@bp.route("/members.<fmt>")
@requires("exports.lists")
def export_members(fmt: str):
    """Download the members the user may see (a coordinator: their region's, ended ones too)
    as CSV or XLSX, as the register's export writes them (IINs masked but for the
    Secretariat)."""
    if fmt not in exports.FORMATS:
        abort(404)
    memberships = services.all_matching(current_user, services.Filters.from_args({"status": "all"}))
    header, rows = exports.register_table(current_user, memberships)
    return exports.download(fmt, "members", header, rows)


@bp.route("/composition")
@requires("register.composition")
def composition():
    """Show the body's members by region, route, ethnicity, sex and age, and its quotas."""
    counted = composition_service.composition(current_user)
    return render_template("register/composition.html", c=counted,
                           charts=composition_service)


@bp.route("/composition.<fmt>")
@requires("register.composition")
def composition_export(fmt: str):
    """Download the composition and the quotas as CSV or XLSX."""
    if fmt not in exports.FORMATS:
        abort(404)
    header, rows = composition_service.table(composition_service.composition(current_user))
    return exports.download(fmt, "composition", header, rows)


@bp.route("/<int:membership_id>")
@requires("register.view")
def member(membership_id: int):
    """Show a member: the membership, its basis order and the nomination's history."""
    membership = services.get_membership(current_user, membership_id)
    if membership is None:
        abort(404)
    order = db.session.get(ChairmanOrder, membership.order_id) if membership.order_id else None
    return render_template("register/member.html", m=membership, order=order,
                           events=timeline(membership.nomination), form=EndMembershipForm(),
                           END_GROUND_LABELS=END_GROUND_LABELS)


@bp.route("/<int:membership_id>/end", methods=["POST"])
@requires("register.manage")
def end(membership_id: int):
    """End a membership with one ground of Art. 17, a date and the basis document."""
    form = EndMembershipForm()
    if not form.validate_on_submit():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        flash(_("The membership was not ended: %(errors)s", errors=errors), "danger")
        return redirect(url_for(".member", membership_id=membership_id))
    with handled(form):
        services.end_membership(current_user, membership_id, ground=form.ground.data,
                                ended_on=form.ended_on.data, document=form.document.data,
                                comment=form.comment.data or "")
        flash(_("The membership has ended."), "success")
    return redirect(url_for(".member", membership_id=membership_id))


@bp.route("/import", methods=["GET", "POST"])
@requires("register.manage")
def import_register():
    """Check a file of the existing register row by row (a dry run: nothing is written)."""
    form = RegisterImportForm()
    report = token = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(current_app.config["MAX_CONTENT_LENGTH"])
        report = imports.check(upload.filename or "", data)
        if report.ok:
            token = imports.stash(upload.filename or "", data)
    return render_template("register/import.html", form=form, report=report,
                           run_form=RegisterImportRunForm(token=token), imports=imports)


@bp.route("/import/run", methods=["POST"])
@requires("register.manage")
def import_register_run():
    """Import the file the dry run found clean, all or nothing."""
    form = RegisterImportRunForm()
    stashed = imports.unstash(form.token.data or "") if form.validate_on_submit() else None
    if stashed is None:
        flash(_("Check the file again: it is no longer kept for importing."), "warning")
        return redirect(url_for(".import_register"))
    filename, data = stashed
    report = None
    with handled(form):
        report = imports.run(current_user, filename, data)
    if report is not None and report.imported:
        imports.discard(form.token.data)
        flash(_("The register was imported: %(members)s new members, %(associations)s new "
                "associations.", members=report.count(imports.MEMBERS, "new"),
                associations=report.count(imports.ASSOCIATIONS, "new")), "success")
        return redirect(url_for(".index"))
    return render_template("register/import.html", form=RegisterImportForm(), report=report,
                           run_form=RegisterImportRunForm(), imports=imports)
