from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange

from workflow.database import DB_INT_MAX
from workflow.documents.forms import AcceptedDocument
from workflow.validators import HasHappened

DECISION_CHOICES = [("", _l("Not in this order")), ("approve", _l("Approve")),
                    ("reject", _l("Reject"))]


class ItemDecisionForm(Form):
    nomination_id = IntegerField(widget=HiddenField.widget,
                                 validators=[NumberRange(min=1, max=DB_INT_MAX)])
    decision = SelectField(_l("Decision"), choices=DECISION_CHOICES)


class OrderForm(FlaskForm):
    number = StringField(_l("Order number"), validators=[DataRequired(), Length(max=64)])
    order_date = DateField(_l("Date of the order"), validators=[DataRequired(), HasHappened()])
    document = FileField(_l("The signed order (PDF, JPEG or PNG)"),
                         validators=[FileRequired(_l("Attach the order.")), AcceptedDocument()])
    items = FieldList(FormField(ItemDecisionForm))
