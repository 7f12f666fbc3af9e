"""The seat quotas' forecast on the pages where a body decides: the Council meeting (before
its votes are recorded) and the Chairman's order (before it is recorded).

The pages show each quota of the body served — ceiling, now, after — and, where a ceiling
would be passed, the override the officer may tick with a reason (``workflow.quotas``).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, TextAreaField
from wtforms.validators import Length

from workflow import bodies, quotas

PREFIX = "quota-"


class QuotaOverrideForm(Form):
    """Go past a quota's ceiling: ticked, with the reason the audit trail keeps."""

    override = BooleanField(_l("Exceed the ceiling"))
    reason = TextAreaField(_l("Reason for exceeding the ceiling"),
                           validators=[Length(max=quotas.MAX_REASON)])

    def reason_given(self) -> str | None:
        """None when the override is not ticked; else the reason typed (maybe empty)."""
        return (self.reason.data or "") if self.override.data else None


def override_form(formdata=None) -> QuotaOverrideForm:
    return QuotaOverrideForm(formdata, prefix=PREFIX)


def context(adding: Iterable[int], action: str, formdata=None) -> dict:
    """What the forecast partial needs: the standings, the form, what 'after' assumes."""
    rows = quotas.forecast(adding, pending=quotas.PENDING[action])
    return {"quota_rows": rows, "quota_form": override_form(formdata),
            "quota_action": action, "quota_body": bodies.current(),
            "quota_exceeded": any(r.exceeded for r in rows)}
