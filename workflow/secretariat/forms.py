from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from workflow.documents.forms import AcceptedDocument
from workflow.domain import CONSENT_FORM_LABELS, ROUTE_LABELS, SEX_LABELS, Route
from workflow.iin import InvalidIIN, normalize, parse_iin
from workflow.secretariat.services import RETURN_REASONS

IIN_ERRORS = {
    "format": _l("An IIN is twelve digits."),
    "century": _l("The seventh digit of an IIN is 1 to 6."),
    "date": _l("The first six digits are not a date of birth."),
    "checksum": _l("The check digit does not match: look for a mistyped digit."),
}


class VersionedForm(FlaskForm):
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])


class AcceptForm(VersionedForm):
    pass


class ReturnForm(VersionedForm):
    reasons = SelectMultipleField(
        _l("What needs correcting"), choices=list(RETURN_REASONS.items()),
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one reason."))])
    comment = TextAreaField(_l("Comment for the coordinator"),
                            validators=[DataRequired(), Length(max=4000)])


class AgendaForm(VersionedForm):
    meeting_id = SelectField(_l("Council meeting"), coerce=int, validators=[DataRequired()])


class NominationEntryForm(FlaskForm):
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
    iin = StringField(_l("IIN"), validators=[DataRequired()])
    surname = StringField(_l("Surname"), validators=[DataRequired(), Length(max=100)])
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100)])
    patronymic = StringField(_l("Patronymic"), validators=[Optional(), Length(max=100)])
    birth_date = DateField(_l("Date of birth"), validators=[DataRequired()])
    sex = SelectField(_l("Sex"), choices=list(SEX_LABELS.items()))
    citizenship = StringField(_l("Citizenship"), default="KZ", validators=[DataRequired()])
    ethnicity = StringField(_l("Ethnicity (as declared)"),
                            validators=[DataRequired(), Length(max=100)])
    occupation = StringField(_l("Occupation"), validators=[Optional(), Length(max=300)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=300)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    consent_given_on = DateField(_l("Consent given on"), validators=[Optional()])
    consent_form = SelectField(_l("Form of consent"), validators=[Optional()],
                               choices=[("", "—"), *CONSENT_FORM_LABELS.items()])
    justification = TextAreaField(_l("Justification"), validators=[Length(max=4000)])
    decision = FileField(_l("Decision of the deciding body (PDF, JPEG or PNG)"),
                         validators=[FileRequired(_l("Attach the decision.")), AcceptedDocument()])
    consent = FileField(_l("Signed consent"), validators=[AcceptedDocument()])
    cv = FileField(_l("Curriculum vitae"), validators=[AcceptedDocument()])

    def validate_iin(self, field):
        try:
            info = parse_iin(field.data)
        except InvalidIIN as error:
            raise ValidationError(IIN_ERRORS[error.reason]) from None
        field.data = normalize(field.data)
        if self.birth_date.data and info.birth_date != self.birth_date.data:
            raise ValidationError(_l("The IIN gives another date of birth: %(date)s.",
                                     date=info.birth_date.isoformat()))
        if info.sex != self.sex.data:
            raise ValidationError(_l("The IIN gives the other sex."))

    def validate_citizenship(self, field):
        field.data = (field.data or "").strip().upper()
        if field.data != "KZ":
            raise ValidationError(_l("Only citizens of Kazakhstan may be members (Art. 15.1)."))

    def validate_birth_date(self, field):
        if field.data and field.data >= date.today():
            raise ValidationError(_l("The date of birth is in the future."))

    def validate_association_id(self, field):
        if self.route.data == Route.ASSOCIATION and not field.data:
            raise ValidationError(_l("Choose the association whose supreme body decided."))

    def validate_replaces_membership_id(self, field):
        if self.route.data == Route.ROTATION and not field.data:
            raise ValidationError(_l("Choose the member being replaced."))
