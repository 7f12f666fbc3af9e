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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.documents.forms import AcceptedDocument


class PlanForm(FlaskForm):
    number = StringField(_l("Session number"), validators=[DataRequired(), Length(max=32)])
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=300)])
    members_total = IntegerField(_l("Members of the regional assembly"),
                                 validators=[InputRequired(), NumberRange(min=1, max=10000)])
    quorum = StringField(_l("Quorum"), validators=[Optional(), Length(max=16)],
                         description=_l("Share of members who must be present, e.g. >1/2."))
    majority = StringField(_l("Majority"), validators=[Optional(), Length(max=16)],
                           description=_l("Share of those present who must vote for, e.g. >1/2."))
    rule_override_reason = TextAreaField(
        _l("Reason for a rule other than the region's"), validators=[Length(max=2000)])


class AgendaForm(FlaskForm):
    nominations = SelectMultipleField(_l("Submitted nominations"), coerce=int,
                                      widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())


class ItemVotesForm(Form):
    item_id = IntegerField(widget=HiddenField.widget)
    votes_for = IntegerField(_l("For"), validators=[Optional(), NumberRange(min=0)])
    votes_against = IntegerField(_l("Against"), validators=[Optional(), NumberRange(min=0)])
    votes_abstain = IntegerField(_l("Abstained"), validators=[Optional(), NumberRange(min=0)])
    deferred = BooleanField(_l("Deferred"))


class RecordForm(FlaskForm):
    members_present = IntegerField(_l("Members present"),
                                   validators=[InputRequired(), NumberRange(min=0)])
    items = FieldList(FormField(ItemVotesForm))


class ProtocolForm(FlaskForm):
    protocol = FileField(_l("Signed protocol (PDF, JPEG or PNG)"),
                         validators=[FileRequired(), AcceptedDocument()])


class ConfirmForm(FlaskForm):
    """A button that changes many things at once: closing, forwarding in bulk."""
