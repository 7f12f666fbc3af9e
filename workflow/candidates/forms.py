"""The candidate's fields, once: every entry form (the coordinator's nomination, the
Secretariat's entry on the other routes) is built on ``PersonForm``."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from workflow.candidates.services import PERSON_FIELDS
from workflow.domain import CONSENT_FORM_LABELS, SEX_LABELS
from workflow.iin import InvalidIIN, normalize, parse_iin
from workflow.validators import HasHappened

IIN_ERRORS = {
    "format": _l("The IIN is twelve digits."),
    "century": _l("The seventh digit of an IIN is 1 to 6 (century and sex)."),
    "date": _l("The first six digits of this IIN are not a real date of birth."),
    "checksum": _l("This IIN's check digit is wrong: check the number against the ID card."),
}


class ValidIIN:
    """A real IIN (format, century digit, date, check digit), kept normalised; the message
    names the problem, never the number."""

    def __call__(self, form, field) -> None:
        try:
            parse_iin(field.data)
        except InvalidIIN as error:
            raise ValidationError(str(IIN_ERRORS[error.reason])) from None
        field.data = normalize(field.data)


class PersonForm(FlaskForm):
    """The person proposed: name, IIN (agreeing with the birth date and sex), citizenship,
    contacts, and their consent to the processing of personal data."""

    surname = StringField(_l("Surname"), validators=[DataRequired(), Length(max=100)])
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100)])
    patronymic = StringField(_l("Patronymic"), validators=[Optional(), Length(max=100)])
    iin = StringField(_l("IIN"), validators=[DataRequired(), ValidIIN()],
                      render_kw={"autocomplete": "off", "inputmode": "numeric"})
    birth_date = DateField(_l("Date of birth"), validators=[InputRequired()])
    sex = SelectField(_l("Sex"), choices=list(SEX_LABELS.items()), validators=[DataRequired()])
    citizenship = SelectField(
        _l("Citizenship"),
        choices=[("KZ", _l("Republic of Kazakhstan")), ("other", _l("Another country"))],
    )
    ethnicity = StringField(_l("Ethnicity (as the person declares it)"),
                            validators=[DataRequired(), Length(max=100)])
    occupation = StringField(_l("Place of work"), validators=[Optional(), Length(max=300)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    language = SelectField(
        _l("Language for the candidate's e-mails"),
        choices=[("kk", _l("Kazakh")), ("ru", _l("Russian"))], default="kk",
        description=_l("The consent request and the news of the nomination are written in it."))
    consent_given_on = DateField(_l("Consent given on"), validators=[Optional(), HasHappened()])
    consent_form = SelectField(_l("Form of consent"),
                               choices=[("", "—"), *CONSENT_FORM_LABELS.items()])
    consent_scope = TextAreaField(
        _l("What the consent covers"),
        validators=[Optional(), Length(max=4000)],
        description=_l("The operator, the data collected, the period, transfers to third "
                       "parties and publication, as the signed consent says."),
    )

    def validate_citizenship(self, field):
        if field.data != "KZ":
            raise ValidationError(str(_l("Only citizens of Kazakhstan may be members (Art. 15.1).")))

    def validate_birth_date(self, field):
        if field.data and field.data >= date.today():
            raise ValidationError(str(_l("The date of birth is in the future.")))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.iin.errors and self.iin.data:
            info = parse_iin(self.iin.data)
            if self.birth_date.data and self.birth_date.data != info.birth_date:
                self.birth_date.errors.append(
                    _l("The date of birth does not agree with the IIN."))
                ok = False
            if self.sex.data and self.sex.data != info.sex:
                self.sex.errors.append(_l("The sex does not agree with the IIN."))
                ok = False
        return ok

    def person(self) -> dict:
        """The person's fields as the candidates service takes them."""
        return {"iin": self.iin.data, **{name: getattr(self, name).data for name in PERSON_FIELDS}}
