from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from workflow.documents.forms import AcceptedDocument


class MeetingForm(FlaskForm):
    meeting_date = DateField(_l("Date of the meeting"), validators=[DataRequired()])
    members_total = IntegerField(_l("Members of the Council"),
                                 validators=[DataRequired(), NumberRange(min=1, max=1000)])
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=300)])


class AgendaAddForm(FlaskForm):
    nomination_ids = SelectMultipleField(
        _l("Nominations under review"), coerce=int,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one nomination."))])


class ItemVotesForm(Form):
    item_id = IntegerField(widget=HiddenField.widget)
    votes_for = IntegerField(_l("For"), validators=[InputRequired(), NumberRange(min=0)])
    votes_against = IntegerField(_l("Against"), default=0,
                                 validators=[InputRequired(), NumberRange(min=0)])
    votes_abstained = IntegerField(_l("Abstained"), default=0,
                                   validators=[InputRequired(), NumberRange(min=0)])


class RecordForm(FlaskForm):
    present = IntegerField(_l("Members present"), validators=[InputRequired(), NumberRange(min=0)])
    items = FieldList(FormField(ItemVotesForm))
    protocol = FileField(_l("Protocol of the meeting (optional)"), validators=[AcceptedDocument()])
