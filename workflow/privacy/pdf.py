"""The subject-access export as a PDF: everything Tizim holds about one person, to hand over.

Drawn with fpdf2 and the DejaVu Sans the papers embed (``workflow.papers.layout``), in the
reader's language; it is a copy for the person, not a sealed paper of the Assembly.
"""

from __future__ import annotations

from flask_babel import gettext as _
from fpdf import FPDF

from workflow import bodies
from workflow.events import FIELD_LABELS
from workflow.papers.layout import FONT, FONT_DIR


def render(export: dict) -> bytes:
    """The export (``privacy.services.subject_access``) as a PDF."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(_("What Tizim holds about a person"))
    pdf.set_creator("Tizim")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def heading(text: str, size: int = 12) -> None:
        pdf.ln(2)
        pdf.set_font(FONT, "B", size)
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)

    def line(label: str, value) -> None:
        if value in (None, "", [], {}):
            value = "—"
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")

    def block(values: dict) -> None:
        for key, value in values.items():
            if not isinstance(value, list | dict):
                line(str(FIELD_LABELS.get(key, key)), value)

    heading(_("What Tizim holds about a person"), 14)
    line(_("Operator"), f'{bodies.current().name} · {_("Secretariat")}')
    line(_("Exported"), export["exported_at"])
    heading(_("Person"))
    block(export["person"])
    heading(_("Consent to personal data processing"))
    block(export["consent"])
    for n in export["nominations"]:
        heading(_("Nomination %(code)s", code=n["reference_code"]))
        block(n)
        for event in n["history"]:
            text = " ".join([event["title"], *event["lines"], *event["reasons"]])
            if event["comment"]:
                text += f" — {event['comment']}"
            line(event["at"][:16].replace("T", " "), text)
        for document in n["documents"]:
            line(_("Document"), f"{document['kind']}: {document['filename']}, "
                                f"{document['size']} B, sha256 {document['sha256'][:16]}…")
    for m in export["memberships"]:
        heading(_("Membership %(number)s", number=m["member_number"]))
        block(m)
        if m["account"]:
            block({_("Account"): m["account"]["email"]})
    if export["changes_to_the_record"]:
        heading(_("Changes to the record"))
        for event in export["changes_to_the_record"]:
            line(event["at"][:16].replace("T", " "), " ".join([event["title"], *event["lines"]]))
    if export["emails"]:
        heading(_("E-mails"))
        for e in export["emails"]:
            line(e["created_at"][:16].replace("T", " "), f"{e['to']} · {e['template']} · "
                                                        f"{e['status']}")
    return bytes(pdf.output())
