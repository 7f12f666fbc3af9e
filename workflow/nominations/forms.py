"""Forms of the nomination pages: the nomination itself, a pipeline action, a withdrawal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from workflow.documents.forms import AcceptedDocument
from workflow.domain import CONSENT_FORM_LABELS, SEX_LABELS, DocumentKind
from workflow.iin import InvalidIIN, normalize, parse_iin

IIN_ERRORS = {
    "format": _l("The IIN is twelve digits."),
    "century": _l("The seventh digit of an IIN is 1 to 6 (century and sex)."),
    "date": _l("The first six digits of this IIN are not a real date of birth."),
    "checksum": _l("This IIN's check digit is wrong: check the number against the ID card."),
}


class ActionForm(FlaskForm):
    """One pipeline action on one nomination; the version is what the person saw."""

    action = HiddenField(validators=[DataRequired()])
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    comment = TextAreaField(_l("Comment or reason"), validators=[Length(max=4000)])


class WithdrawForm(FlaskForm):
    """Withdraw a nomination: the reason is recorded and shown to everyone concerned."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    reason = TextAreaField(_l("Reason for withdrawal"),
                           validators=[DataRequired(), Length(max=4000)])
    confirm = BooleanField(_l("I understand that a withdrawn nomination cannot be resumed"),
                           validators=[DataRequired()])


class NominationForm(FlaskForm):
    """A regional nomination: the candidate, the association, the documents, the consent."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    surname = StringField(_l("Surname"), validators=[DataRequired(), Length(max=100)])
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100)])
    patronymic = StringField(_l("Patronymic"), validators=[Optional(), Length(max=100)])
    iin = StringField(_l("IIN"), validators=[DataRequired()],
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
    association_id = SelectField(_l("Nominating association"), coerce=int,
                                 validators=[DataRequired()])
    justification = TextAreaField(_l("Justification"),
                                  validators=[DataRequired(), Length(max=8000)])
    decision_file = FileField(_l("Decision or protocol of the association"),
                              validators=[AcceptedDocument()])
    consent_file = FileField(_l("Written consent to personal data processing"),
                             validators=[AcceptedDocument()])
    cv_file = FileField(_l("Curriculum vitae"), validators=[AcceptedDocument()])
    consent_given_on = DateField(_l("Consent given on"), validators=[Optional()])
    consent_form = SelectField(_l("Form of consent"),
                               choices=[("", "—"), *CONSENT_FORM_LABELS.items()])
    consent_scope = TextAreaField(
        _l("What the consent covers"),
        validators=[Optional(), Length(max=4000)],
        description=_l("The operator, the data collected, the period, transfers to third "
                       "parties and publication, as the signed consent says."),
    )
    save_draft = SubmitField(_l("Save as draft"))
    save_submit = SubmitField(_l("Save and submit"))

    FILE_KINDS = {"decision_file": DocumentKind.DECISION, "consent_file": DocumentKind.CONSENT,
                  "cv_file": DocumentKind.CV}

    def __init__(self, *args, associations=(), existing_documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.association_id.choices = [(0, "—")] + [(a.id, a.name) for a in associations]
        self.existing_documents = set(existing_documents)

    @property
    def submitting(self) -> bool:
        return bool(self.save_submit.data)

    def validate_iin(self, field):
        try:
            parse_iin(field.data)
        except InvalidIIN as error:
            raise ValidationError(str(IIN_ERRORS[error.reason])) from None
        field.data = normalize(field.data)

    def validate_citizenship(self, field):
        if field.data != "KZ":
            raise ValidationError(str(_l("Only citizens of Kazakhstan may be members (Art. 15.1).")))

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
        if self.submitting:
            if not self.consent_given_on.data:
                self.consent_given_on.errors.append(
                    _l("Record when the candidate gave consent before submitting."))
                ok = False
            if not self.consent_form.data:
                self.consent_form.errors.append(
                    _l("Record how the candidate gave consent before submitting."))
                ok = False
            for name, kind in self.FILE_KINDS.items():
                field = getattr(self, name)
                if kind not in self.existing_documents and not (
                        field.data and getattr(field.data, "filename", "")):
                    field.errors.append(_l("This document is required to submit."))
                    ok = False
        return ok

    def fields(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "surname", "given_name", "patronymic", "iin", "birth_date", "sex", "citizenship",
            "ethnicity", "occupation", "position", "phone", "email", "association_id",
            "justification", "consent_given_on", "consent_form", "consent_scope")}

    def files(self) -> dict:
        return {kind: getattr(self, name).data for name, kind in self.FILE_KINDS.items()
                if getattr(getattr(self, name).data, "filename", "")}
