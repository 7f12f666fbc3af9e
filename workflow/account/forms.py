from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from workflow.domain import LANGUAGE_LABELS

PASSWORD_MIN = 10


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

    def validate_password(self, field):
        from wtforms.validators import ValidationError

        if len(set(field.data or "")) < 4:
            raise ValidationError(_l("This password is too easy to guess: mix more characters."))


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
