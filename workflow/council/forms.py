from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
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
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from workflow.database import DB_INT_MAX
from workflow.documents.forms import AcceptedDocument
from workflow.validators import Chosen, RecusalFields

# The Council counts people: no more members, present or votes than this.
MAX_MEMBERS = 1000


class MeetingForm(FlaskForm):
    meeting_date = DateField(_l("Date of the meeting"), validators=[DataRequired()])
    members_total = IntegerField(_l("Members of the Council"),
                                 validators=[DataRequired(), NumberRange(min=1, max=MAX_MEMBERS)])
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=300)])


class AgendaAddForm(FlaskForm):
    nomination_ids = SelectMultipleField(
        _l("Nominations under review"), coerce=int,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        validators=[Chosen(_l("Choose at least one nomination."))])


class ItemVotesForm(RecusalFields, Form):
    """One row of the vote form: the votes, or the item deferred by the meeting."""

    item_id = IntegerField(widget=HiddenField.widget,
                           validators=[NumberRange(min=1, max=DB_INT_MAX)])
    votes_for = IntegerField(_l("For"), validators=[Optional(), NumberRange(min=0, max=MAX_MEMBERS)])
    votes_against = IntegerField(_l("Against"),
                                 validators=[Optional(), NumberRange(min=0, max=MAX_MEMBERS)])
    votes_abstained = IntegerField(_l("Abstained"),
                                   validators=[Optional(), NumberRange(min=0, max=MAX_MEMBERS)])
    deferred = BooleanField(_l("Deferred"))

    VOTES = ("votes_for", "votes_against", "votes_abstained")

    def missing(self) -> bool:
        """A row that is neither deferred nor has its three figures."""
        return not self.deferred.data and any(
            getattr(self, name).data is None for name in self.VOTES)


class RecordForm(FlaskForm):
    """The meeting's record: attendance, each row's votes or deferral, and a confirmation.

    Recording cannot be undone, so the officer ticks ``confirm``; the server refuses the
    record without it (a browser's ``confirm()`` alone would not be enough). A row with an
    empty cell is named by its number and candidate (``labels``: item id → words), and
    every figure typed stays in the form.
    """

    present = IntegerField(_l("Members present"),
                           validators=[InputRequired(_l("Give the number of members present.")),
                                       NumberRange(min=0, max=MAX_MEMBERS)])
    items = FieldList(FormField(ItemVotesForm))
    protocol = FileField(_l("Protocol of the meeting (optional)"), validators=[AcceptedDocument()])
    confirm = BooleanField(
        _l("I confirm these figures are final: the outcomes are applied at once and cannot "
           "be undone"),
        validators=[DataRequired(_l("Tick the confirmation: recording cannot be undone."))])

    def __init__(self, *args, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = labels or {}

    def validate_items(self, field):
        empty = [entry.form for entry in field.entries if entry.form.missing()]
        for row in empty:
            row.votes_for.errors = [*row.votes_for.errors, _l(
                "%(row)s: enter the votes for, against and abstained (0 where nobody voted), "
                "or mark the item deferred.", row=self.labels.get(row.item_id.data, ""))]
        if empty:
            raise ValidationError(_l("A row has no votes."))

    def row_errors(self) -> list[str]:
        """Every error of every row, each naming its row."""
        errors = []
        for entry in self.items.entries:
            label = self.labels.get(entry.form.item_id.data, "")
            for name in ("item_id", *ItemVotesForm.VOTES):
                for error in getattr(entry.form, name).errors:
                    text = str(error)
                    errors.append(text if label and text.startswith(str(label))
                                  else f"{label}: {text}" if label else text)
        return errors
