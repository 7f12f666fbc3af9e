from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from workflow.notifications.messages import CHANNEL_LABELS, KIND_LABELS


class ButtonForm(FlaskForm):
    """A button that posts: mark read, retry the failed ones (only the CSRF token)."""


def preferences_form(kinds, current: dict[str, str], formdata=None):
    """A form with one channel choice per kind shown to this user."""

    class PreferencesForm(FlaskForm):
        pass

    choices = [SelectChoice(code, label) for code, label in CHANNEL_LABELS.items()]
    for kind in kinds:
        setattr(PreferencesForm, kind, SelectField(
            KIND_LABELS[kind], choices=choices, default=current.get(kind, "email"),
            validators=[DataRequired(_l("Choose how you want to hear of this."))],
        ))
    form = PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()
    return form


class WordingForm(FlaskForm):
    """The subject and text of one step's e-mail in one language; placeholders are checked."""

    subject = StringField(_l("Subject"), validators=[
        DataRequired(_l("Give the subject.")), Length(max=200, message=_l(
            "The subject is at most %(max)d characters long."))])
    body = TextAreaField(_l("Text"), validators=[
        DataRequired(_l("Give the text.")), Length(max=5000, message=_l(
            "The text is at most %(max)d characters long."))])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def __init__(self, kind: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def validate(self, extra_validators=None) -> bool:
        from workflow.notifications.wording import problems

        valid = super().validate(extra_validators)
        if self.subject.data and self.body.data:
            for field, errors in problems(self.kind, self.subject.data, self.body.data).items():
                self[field].errors = [*self[field].errors, *errors]
                valid = False
        return valid
