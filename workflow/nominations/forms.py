"""Forms of the nomination pages: the nomination itself, and the page's actions.

A button (``ButtonForm``) fires an action that needs nothing but the click; each action the
pipeline fires through a form has its form here, in ``PAGE_FORMS``, and says what it hands
to the pipeline (``pipeline_input``).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from workflow.candidates.forms import PersonForm
from workflow.documents.forms import AcceptedDocument
from workflow.domain import RETURN_REASON_LABELS, DocumentKind
from workflow.validators import Chosen


class ButtonForm(FlaskForm):
    """One button on one nomination; the version is what the person saw."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

    def pipeline_input(self) -> tuple[str, dict]:
        return "", {}


class WithdrawForm(ButtonForm):
    """Withdraw a nomination: the reason is recorded and shown to everyone concerned."""

    reason = TextAreaField(_l("Reason for withdrawal"),
                           validators=[DataRequired(), Length(max=4000)])
    confirm = BooleanField(_l("I understand that a withdrawn nomination cannot be resumed"),
                           validators=[DataRequired()])

    def pipeline_input(self) -> tuple[str, dict]:
        return self.reason.data, {}


class ReturnForm(ButtonForm):
    """Return for correction: one reason or more from the fixed list, and a comment."""

    reasons = SelectMultipleField(
        _l("What needs correcting"), choices=list(RETURN_REASON_LABELS.items()),
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        validators=[Chosen(_l("Choose at least one reason."))])
    comment = TextAreaField(_l("Comment for the coordinator"), validators=[Length(max=4000)],
                            description=_l("Needed when you choose “Other”."))

    def pipeline_input(self) -> tuple[str, dict]:
        return self.comment.data or "", {"reasons": self.reasons.data}


class CorrectionForm(ButtonForm):
    """Forward a returned nomination again, saying what was corrected."""

    comment = TextAreaField(_l("What was corrected"),
                            validators=[DataRequired(), Length(max=4000)],
                            description=_l("The Secretariat reads this with the nomination."))

    def pipeline_input(self) -> tuple[str, dict]:
        return self.comment.data, {}


# The actions fired through a form on the nomination's page (Channel.FORM), by their form.
PAGE_FORMS: dict[str, type[ButtonForm]] = {
    "withdraw": WithdrawForm,
    "return": ReturnForm,
    "forward_again": CorrectionForm,
}


class NominationForm(PersonForm):
    """A regional nomination: the candidate, the association, the documents, the consent."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    # The files of a refused attempt are kept under this token (workflow.documents.pending).
    upload_token = HiddenField()
    association_id = SelectField(_l("Nominating association"), coerce=int,
                                 validators=[DataRequired()])
    justification = TextAreaField(_l("Justification"),
                                  validators=[DataRequired(), Length(max=8000)])
    decision_file = FileField(_l("Decision or protocol of the association"),
                              validators=[AcceptedDocument()])
    consent_file = FileField(_l("Written consent to personal data processing"),
                             validators=[AcceptedDocument()])
    cv_file = FileField(_l("Curriculum vitae"), validators=[AcceptedDocument()])
    # Ticked after Tizim warned of another person with the same name and date of birth.
    namesake_checked = BooleanField(_l("I have checked: this is another person, with another "
                                       "IIN"))
    save_draft = SubmitField(_l("Save as draft"))
    save_submit = SubmitField(_l("Save and submit"))

    FILE_KINDS = {"decision_file": DocumentKind.DECISION, "consent_file": DocumentKind.CONSENT,
                  "cv_file": DocumentKind.CV}

    def __init__(self, *args, associations=(), existing_documents=(), iin_locked=False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.association_id.choices = [(0, "—")] + [(a.id, a.name) for a in associations]
        self.existing_documents = set(existing_documents)
        # Files chosen in an earlier, refused attempt and kept on the server: kind → Pending.
        self.pending_documents: dict = {}
        self.iin_locked = iin_locked
        if iin_locked:
            self.iin.render_kw = {**(self.iin.render_kw or {}), "readonly": True}

    @property
    def submitting(self) -> bool:
        return bool(self.save_submit.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
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
                if kind not in self.existing_documents and kind not in self.pending_documents \
                        and not (field.data and getattr(field.data, "filename", "")):
                    field.errors.append(_l("This document is required to submit."))
                    ok = False
        return ok

    def nomination(self) -> dict:
        return {"association_id": self.association_id.data,
                "justification": self.justification.data}

    def files(self) -> dict:
        return {kind: getattr(self, name).data for name, kind in self.FILE_KINDS.items()
                if getattr(getattr(self, name).data, "filename", "")}
