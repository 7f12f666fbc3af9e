from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow import quota_forecast as forecast
from workflow.issuing import services as issuing
from workflow.notifications.forms import ButtonForm
from workflow.orders import services
from workflow.orders.forms import OrderForm
from workflow.permissions import requires
from workflow.refusal import handled

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.route("/")
@requires("orders.manage")
def index():
    """List the Chairman's orders and how many nominations await a decision."""
    orders = services.orders(current_user)
    return render_template("orders/index.html", orders=orders,
                           counts=services.item_counts(o.id for o in orders),
                           waiting=len(services.awaiting_chairman(current_user)))


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.manage")
def new():
    """Record the Chairman's order, apply its decisions at once, then issue the memberships."""
    waiting = services.awaiting_chairman(current_user)
    form = OrderForm()
    if not form.items.entries:
        for nomination in waiting:
            form.items.append_entry({"nomination_id": nomination.id})
    if form.validate_on_submit():
        decisions = {e.nomination_id.data: e.decision.data for e in form.items if e.decision.data}
        with handled(form):
            order = services.record_order(current_user, number=form.number.data,
                                          order_date=form.order_date.data,
                                          document=form.document.data, decisions=decisions,
                                          quota_override=forecast.override_form(
                                              request.form).reason_given())
            flash(_("Order %(number)s applied; the memberships are being issued.",
                    number=order.number), "success")
            return redirect(url_for(".detail", order_id=order.id))
    by_id = {n.id: n for n in waiting}
    return render_template("orders/new.html", form=form, by_id=by_id, **forecast.context(
        by_id, "approve", request.form if request.method == "POST" else None))


@bp.route("/<int:order_id>")
@requires("orders.manage")
def detail(order_id: int):
    """Show an order: its document and every decision, with the memberships issued."""
    order = services.get_order(current_user, order_id)
    if order is None:
        abort(404)
    batch_id = issuing.batch_of_order(order.id)
    return render_template("orders/detail.html", order=order,
                           memberships=services.memberships_of_order(order.id),
                           progress=issuing.progress(current_user, batch_id) if batch_id else None,
                           form=ButtonForm())
