import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from workflow import bodies
from workflow.candidates.forms import PersonForm
from workflow.database import DB_INT_MAX
from workflow.documents.forms import AcceptedDocument
from workflow.domain import ROUTE_LABELS, Route
from workflow.nominations.forms import ReturnForm
from workflow.validators import Chosen


class AgendaForm(FlaskForm):
    """Put a nomination under review on a planned Council meeting's agenda."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    meeting_id = SelectField(_l("Council meeting"), coerce=int, validators=[DataRequired()])


class NominationEntryForm(PersonForm):
    """A nomination on the association, Council or rotation route, with the decision."""

    route = SelectField(_l("Route"), choices=[
        (r.value, ROUTE_LABELS[r]) for r in (Route.ASSOCIATION, Route.COUNCIL, Route.ROTATION)])
    region_id = SelectField(_l("Region"), coerce=int)
    association_id = SelectField(_l("Association (association route)"), coerce=int,
                                 validators=[Optional()])
    nominating_body = StringField(_l("Deciding body and decision"),
                                  validators=[DataRequired(), Length(max=300)])
    replaces_membership_id = SelectField(_l("Member being replaced (rotation)"), coerce=int,
                                         validators=[Optional()])
    justification = TextAreaField(_l("Justification"), validators=[Length(max=4000)])
    decision = FileField(_l("Decision of the deciding body (PDF, JPEG or PNG)"),
                         validators=[FileRequired(_l("Attach the decision.")), AcceptedDocument()])
    consent = FileField(_l("Signed consent"), validators=[AcceptedDocument()])
    cv = FileField(_l("Curriculum vitae"), validators=[AcceptedDocument()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the routes the body served takes (TIZIM_BODY).
        served = bodies.current().routes
        self.route.choices = [c for c in self.route.choices if c[0] in served]

    def validate_association_id(self, field):
        if self.route.data == Route.ASSOCIATION and not field.data:
            raise ValidationError(_l("Choose the association whose supreme body decided."))

    def validate_replaces_membership_id(self, field):
        if self.route.data == Route.ROTATION and not field.data:
            raise ValidationError(_l("Choose the member being replaced."))


# --- The queue's bulk actions: the rows ticked, each with the version the officer saw. -------

_ITEM = re.compile(r"\A(\d{1,10}):(\d{1,10})\Z")


class BulkForm(FlaskForm):
    """Accept several forwarded nominations at once (the same button, pressed for each)."""

    # "id:version" of each row ticked: a row changed since the page was drawn is a conflict.
    items = SelectMultipleField(validate_choice=False,
                                validators=[Chosen(_l("Choose at least one nomination."))])

    def validate_items(self, field):
        for value in field.data:
            found = _ITEM.match(value or "")
            if not found or not all(0 < int(n) <= DB_INT_MAX for n in found.groups()):
                raise ValidationError(_l("The list had changed: reload the page and choose "
                                         "again."))

    def versions(self) -> dict[int, int]:
        return {int(i): int(v) for i, v in (value.split(":") for value in self.items.data)}

    def pipeline_input(self) -> tuple[str, dict]:
        return "", {}


class BulkReturnForm(BulkForm):
    """Return several with one set of reasons: the single return form's reasons and comment."""

    reasons = ReturnForm.reasons
    comment = ReturnForm.comment
    pipeline_input = ReturnForm.pipeline_input


class BulkAgendaForm(BulkForm):
    """Put several under review on a planned Council meeting's agenda."""

    meeting_id = SelectField(_l("Council meeting"), coerce=int,
                             validators=[DataRequired(_l("Choose a planned Council meeting."))])
