"""The administrator's forms: an account, a region's rules, the audit trail's filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from workflow.domain import LANGUAGE_LABELS, LOGIN_ROLES, ROLE_LABELS, Role
from workflow.validators import InRecordYears


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in LOGIN_ROLES])
    region_id = SelectField(_l("Region"), coerce=int, validators=[Optional()])
    language = SelectField(_l("Interface and e-mail language"))

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.region_id.choices = [SelectChoice(0, "—")] + [SelectChoice(r.id, r.name)
                                                           for r in regions]
        self.language.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]

    def validate_region_id(self, field):
        from wtforms.validators import ValidationError

        if self.role.data == Role.COORDINATOR and not field.data:
            raise ValidationError(_l("A regional coordinator needs a region."))


THRESHOLD = Regexp(r"^\s*(>=|>)\s*\d{1,4}\s*/\s*\d{1,4}\s*$",
                   message=_l("Write a share of at least one half, as >1/2 or >=2/3."))


class RegionRulesForm(FlaskForm):
    session_quorum = StringField(_l("Quorum"), validators=[DataRequired(), THRESHOLD])
    session_majority = StringField(_l("Majority"), validators=[DataRequired(), THRESHOLD])
    expected_days = IntegerField(
        _l("Expected days in a state"), validators=[Optional(), NumberRange(min=1, max=365)])


class AuditFilterForm(FlaskForm):
    """Read from the query string (a GET form: bookmarkable, no CSRF)."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Who"), coerce=int, validators=[Optional()])
    entity_type = SelectField(_l("What"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional(), InRecordYears()])
    until = DateField(_l("To"), validators=[Optional(), InRecordYears()])
    reference = StringField(
        _l("Nomination's reference code"),
        validators=[Optional(), Length(max=9),
                    Regexp(r"^[A-Za-z0-9-]+$", message=_l("A reference code, as on the "
                                                          "nomination's page."))])
