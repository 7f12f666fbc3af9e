"""Forms of the session pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.database import DB_INT_MAX
from workflow.documents.forms import AcceptedDocument
from workflow.validators import RecusalFields
from workflow.voting import Threshold, well_formed

# Votes and attendance are counted in people: no assembly has more members than this.
MAX_MEMBERS = 10000


def sensible_rule(form, field):
    """A quorum or majority of at least one half that can be met (not ``>=0/1``, not ``>1/1``)."""
    text = (field.data or "").strip()
    if not text:
        return
    if not well_formed(text):
        raise ValidationError(_l("Write the rule as >1/2 or >=2/3."))
    try:
        Threshold.parse(text)
    except ValueError:
        raise ValidationError(_l(
            "This rule would let fewer than half decide, or could never be met. A quorum and "
            "a majority are at least one half (>=1/2) and at most all (>=1/1).")) from None


class PlanForm(FlaskForm):
    number = StringField(_l("Session number"), validators=[DataRequired(), Length(max=32)])
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=300)])
    members_total = IntegerField(_l("Members of the regional assembly"),
                                 validators=[InputRequired(), NumberRange(min=1, max=MAX_MEMBERS)])
    quorum = StringField(_l("Quorum"), validators=[Optional(), Length(max=16), sensible_rule],
                         description=_l("Share of members who must be present, e.g. >1/2."))
    majority = StringField(_l("Majority"), validators=[Optional(), Length(max=16), sensible_rule],
                           description=_l("Share of those present who must vote for, e.g. >1/2."))
    rule_override_reason = TextAreaField(
        _l("Reason for a rule other than the region's"), validators=[Length(max=2000)])


class EditForm(FlaskForm):
    """A planned session's details; its date is changed by rescheduling it."""

    number = StringField(_l("Session number"), validators=[DataRequired(), Length(max=32)])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=300)])
    members_total = IntegerField(_l("Members of the regional assembly"),
                                 validators=[InputRequired(), NumberRange(min=1, max=MAX_MEMBERS)])


class RescheduleForm(FlaskForm):
    held_on = DateField(_l("New date"), validators=[InputRequired()])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"),
                           validators=[DataRequired(_l("Give the reason for cancelling the "
                                                       "session.")), Length(max=2000)])


class AgendaForm(FlaskForm):
    nominations = SelectMultipleField(_l("Submitted nominations"), coerce=int,
                                      widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())


class ItemVotesForm(RecusalFields, Form):
    item_id = IntegerField(widget=HiddenField.widget,
                           validators=[NumberRange(min=1, max=DB_INT_MAX)])
    votes_for = IntegerField(_l("For"),
                             validators=[Optional(), NumberRange(min=0, max=MAX_MEMBERS)])
    votes_against = IntegerField(_l("Against"),
                                 validators=[Optional(), NumberRange(min=0, max=MAX_MEMBERS)])
    votes_abstain = IntegerField(_l("Abstained"),
                                 validators=[Optional(), NumberRange(min=0, max=MAX_MEMBERS)])
    deferred = BooleanField(_l("Deferred"))
    deferral_reason = StringField(_l("Reason for deferring"),
                                  validators=[Optional(), Length(max=500)])


class RecordForm(FlaskForm):
    members_present = IntegerField(_l("Members present"),
                                   validators=[InputRequired(), NumberRange(min=0, max=MAX_MEMBERS)])
    no_quorum = BooleanField(_l("No quorum: record the session as held without quorum (every "
                                "item is deferred for that reason)"))
    items = FieldList(FormField(ItemVotesForm))


class ProtocolForm(FlaskForm):
    protocol = FileField(_l("Signed protocol (PDF, JPEG or PNG)"),
                         validators=[FileRequired(), AcceptedDocument()])


class ConfirmForm(FlaskForm):
    """A button that changes many things at once: closing, forwarding in bulk."""
