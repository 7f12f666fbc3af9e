"""The association form: the secretariat also chooses the level and the region."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from workflow.domain import ASSOCIATION_KIND_LABELS, ASSOCIATION_LEVEL_LABELS
from workflow.iin import InvalidIIN, validate_bin


class AssociationForm(FlaskForm):
    # an association's name (Атауы / Название), not a person's (Аты / Имя).
    name = StringField(lazy_pgettext("association", "Name"),
                       validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=list(ASSOCIATION_KIND_LABELS.items()))
    bin = StringField(_l("BIN (optional)"), validators=[Optional()],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
    level = SelectField(_l("Level"), choices=list(ASSOCIATION_LEVEL_LABELS.items()))
    region_id = SelectField(_l("Region"), coerce=int, validators=[Optional()])

    def __init__(self, *args, regions=(), national: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.region_id.choices = [(0, "—")] + [(r.id, r.name) for r in regions]
        if not national:  # a coordinator's association is regional, in their own region
            del self.level
            del self.region_id

    def validate_bin(self, field):
        try:
            field.data = validate_bin(field.data)
        except InvalidIIN:
            raise ValidationError(str(_l("This is not a valid BIN: twelve digits with a correct "
                                    "check digit."))) from None
