from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflow.extensions import db
from workflow.models import User
from workflow.permissions import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@requires("admin.users")
def users():
    """List every user with role, region and language."""
    rows = db.session.scalars(
        select(User).options(joinedload(User.region)).order_by(User.role, User.email)
    )
    return render_template("admin/users.html", users=list(rows))
