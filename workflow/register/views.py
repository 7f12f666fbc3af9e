from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflow.documents.services import DocumentRejected
from workflow.domain import END_GROUND_LABELS, ROUTE_LABELS, SEX_LABELS
from workflow.extensions import db
from workflow.models import Association, Region
from workflow.nominations.services import timeline
from workflow.orders.models import ChairmanOrder
from workflow.permissions import requires
from workflow.register import services
from workflow.register.forms import EndMembershipForm
from workflow.secretariat import exports

bp = Blueprint("register", __name__, url_prefix="/register")


def filter_options() -> dict:
    return {
        "regions": list(db.session.scalars(select(Region).order_by(Region.sort_order))),
        "associations": list(db.session.scalars(select(Association).order_by(Association.name))),
        "ethnicities": services.ethnicities(),
        "routes": ROUTE_LABELS, "sexes": SEX_LABELS, "age_bands": services.AGE_BAND_LABELS,
    }


@bp.route("/")
@requires("register.view")
def index():
    """Search and filter the register of members."""
    filters = services.Filters.from_args(request.args)
    page = services.search(filters, after=request.args.get("after", type=int))
    return render_template("register/index.html", page=page, filters=filters,
                           args=filters.as_args(), **filter_options())


@bp.route("/export.<fmt>")
@requires("register.view")
def export(fmt: str):
    """Download the filtered register as CSV or XLSX, with full IINs (Secretariat only)."""
    if fmt not in exports.FORMATS:
        abort(404)
    filters = services.Filters.from_args(request.args)
    header, rows = exports.register_table(current_user, services.all_matching(filters))
    response = make_response(exports.render(fmt, "register", header, rows))
    response.headers["Content-Type"] = exports.FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="register.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:membership_id>")
@requires("register.view")
def member(membership_id: int):
    """Show a member: the membership, its basis order and the nomination's history."""
    membership = services.get_membership(membership_id)
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
    try:
        services.end_membership(current_user, membership_id, ground=form.ground.data,
                                ended_on=form.ended_on.data, document=form.document.data,
                                comment=form.comment.data or "")
    except (services.RegisterError, DocumentRejected) as error:
        flash(str(error.message), "danger")
    else:
        flash(_("The membership has ended."), "success")
    return redirect(url_for(".member", membership_id=membership_id))
