"""What every template can use: permissions, labels, masked IINs, localized names."""

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflow import domain, permissions
from workflow.iin import mask

NAVIGATION = (
    # (endpoint, label, permission); the layout shows an entry when the user holds the permission.
    ("main.home", _l("Home"), "account"),
    ("nominations.index", _l("Nominations"), "nominations.view"),
    ("secretariat.new_nomination", _l("Other routes"), "secretariat.work"),
    ("council.index", _l("Council"), "council.manage"),
    ("orders.index", _l("Chairman's orders"), "orders.manage"),
    ("register.index", _l("Register of members"), "register.view"),

    ("sessions.index", _l("Sessions"), "sessions.view"),
    ("associations.index", _l("Associations"), "associations.view"),
    ("admin.users", _l("Users"), "admin.users"),
    ("account.profile", _l("Profile"), "account"),
)


def register(app: Flask) -> None:
    app.jinja_env.filters["mask_iin"] = mask
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else "—"
    app.jinja_env.filters["datetime"] = (
        lambda d, fmt="medium": format_datetime(d, fmt) if d else "—"
    )
    # 1234 -> "1 234" in kk and ru, "1,234" in en; counted phrases use ngettext with num=n|number.
    app.jinja_env.filters["number"] = lambda n: format_decimal(n) if n is not None else "—"
    app.jinja_env.add_extension("jinja2.ext.do")
    # Globals, not context: imported macros see them too.
    app.jinja_env.globals.update(
        STATE_LABELS=domain.STATE_LABELS,
        ROUTE_LABELS=domain.ROUTE_LABELS,
        ROLE_LABELS=domain.ROLE_LABELS,
        SEX_LABELS=domain.SEX_LABELS,
        LANGUAGE_LABELS=domain.LANGUAGE_LABELS,
        RETURN_REASON_LABELS=domain.RETURN_REASON_LABELS,
        DOCUMENT_KIND_LABELS=domain.DOCUMENT_KIND_LABELS,
        can=permissions.allowed,
        can_view_nomination=permissions.can_view_nomination,
        shown_iin=permissions.shown_iin,
    )

    @app.context_processor
    def globals_():
        return {
            "navigation": [
                (endpoint, label) for endpoint, label, perm in NAVIGATION
                if permissions.allowed(perm)
            ],
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
            "current_user": current_user,
            "request_path": request.full_path.rstrip("?") if request else "/",
        }
