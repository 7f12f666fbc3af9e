from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from workflow.auth.services import PASSWORD_MIN, password_problem
from workflow.domain import LANGUAGE_LABELS


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=200, message=_l(
            "Use at least %(min)d characters (at most %(max)d).", min=PASSWORD_MIN, max=200))],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Save the password"))

    def __init__(self, *args, user_inputs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_inputs = user_inputs  # the person's e-mail and name: not part of a password

    def validate_password(self, field):
        from wtforms.validators import ValidationError

        problem = password_problem(field.data or "", user_inputs=self.user_inputs)
        if problem is not None:
            raise ValidationError(problem)


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send the link"))


class ProfileForm(FlaskForm):
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=32),
                    Regexp(r"^\+?[0-9 ()\-]{6,32}$", message=_l("Digits, spaces, +, ( ) and - only."))],
    )
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    language = SelectField(_l("Interface and e-mail language"),
                           choices=[SelectChoice(code, label)
                                    for code, label in LANGUAGE_LABELS.items()])
    submit = SubmitField(_l("Save"))


class ApiTokenForm(FlaskForm):
    """A new personal API token: a name that says which system uses it, and how long it works."""

    name = StringField(_l("Name (the system that will use it)"),
                       validators=[DataRequired(), Length(max=100)])
    days = SelectField(_l("Works for"), coerce=int, default=90,
                       choices=[SelectChoice(30, _l("30 days")), SelectChoice(90, _l("90 days")),
                                SelectChoice(180, _l("180 days")), SelectChoice(365, _l("a year"))])
    submit = SubmitField(_l("Create the token"))


class RevokeTokenForm(FlaskForm):
    submit = SubmitField(_l("Revoke"))
