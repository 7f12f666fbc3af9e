"""Printable documents in Kazakh and Russian: the membership certificate.

The font is DejaVu Sans, vendored in ``workflow/static/fonts`` (with its licence) and embedded
in each PDF, so the Kazakh letters (ә ғ қ ң ө ұ ү һ і) print on any machine; nothing is read
from the system's font folders.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask_babel import force_locale
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from workflow.domain import ROUTE_LABELS, MembershipStatus
from workflow.models import Membership, utcnow

FONT_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"
FONT = "DejaVu"
INK = (20, 45, 90)
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def numeric(d: date | None) -> str:
    """Dates as 24.11.2026: read the same way in Kazakh and Russian."""
    return d.strftime("%d.%m.%Y") if d else "—"


def new_pdf(title: str) -> FPDF:
    """An A4 page with DejaVu Sans embedded (regular and bold)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author("Tizim")
    pdf.set_creator("Tizim")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_text_color(*INK)
    return pdf


def heading(pdf: FPDF, kk: str, ru: str, size: int = 14) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, kk, align="C", **NEXT_LINE)
    pdf.set_font(FONT, "", size - 2)
    pdf.multi_cell(0, size * 0.5, ru, align="C", **NEXT_LINE)


def labelled(pdf: FPDF, kk: str, ru: str, value: str) -> None:
    """One line of the document: the label in both languages, then the value."""
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 5, f"{kk} / {ru}", **NEXT_LINE)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 7, value or "—", **NEXT_LINE)
    pdf.ln(2)


def frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)


def both(label) -> tuple[str, str]:
    """A lazy label in Kazakh and in Russian."""
    with force_locale("kk"):
        kk = str(label)
    with force_locale("ru"):
        ru = str(label)
    return kk, ru


def render(membership: Membership, basis: dict | None = None) -> bytearray:
    """The membership certificate as PDF bytes; both languages on the one page."""
    candidate, region, nomination = membership.candidate, membership.region, membership.nomination
    pdf = new_pdf(f"Куәлік / Удостоверение {membership.member_number}")
    frame(pdf)
    pdf.ln(8)
    heading(pdf, "ҚАЗАҚСТАН ХАЛҚЫ АССАМБЛЕЯСЫ", "АССАМБЛЕЯ НАРОДА КАЗАХСТАНА", 16)
    pdf.ln(8)
    heading(pdf, "МҮШЕЛІК КУӘЛІГІ", "УДОСТОВЕРЕНИЕ ЧЛЕНА АССАМБЛЕИ", 20)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 10, f"№ {membership.member_number}", align="C", **NEXT_LINE)
    pdf.ln(6)
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, candidate.full_name, align="C", **NEXT_LINE)
    pdf.ln(2)
    pdf.set_font(FONT, "", 12)
    pdf.multi_cell(0, 6, "Қазақстан халқы ассамблеясының мүшесі болып табылады.", align="C",
                   **NEXT_LINE)
    pdf.multi_cell(0, 6, "является членом Ассамблеи народа Казахстана.", align="C", **NEXT_LINE)
    pdf.ln(8)

    labelled(pdf, "Мүшелік басталған күн", "Дата начала членства", numeric(membership.started_on))
    labelled(pdf, "Өңір", "Регион", f"{region.name_kk} / {region.name_ru}")
    route_kk, route_ru = both(ROUTE_LABELS.get(nomination.route, nomination.route))
    labelled(pdf, "Ұсыну тәртібі", "Порядок выдвижения", f"{route_kk} / {route_ru}")
    nominator = nomination.association.name if nomination.association else nomination.nominating_body
    labelled(pdf, "Кандидатураны ұсынған бірлестік немесе орган",
             "Объединение или орган, выдвинувшие кандидатуру", nominator or "—")
    if basis and basis.get("number"):
        dated = basis.get("date")
        labelled(pdf, "Негіз: Төрағаның өкімі", "Основание: распоряжение Председателя",
                 f"№ {basis['number']}" + (f", {numeric(dated)}" if dated else ""))
    if membership.status == MembershipStatus.ENDED:
        labelled(pdf, "Мүшелігі тоқтатылған күн", "Членство прекращено",
                 numeric(membership.ended_on))

    pdf.ln(10)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, f"Берілген күні / Дата выдачи: {numeric(utcnow().date())}", **NEXT_LINE)
    pdf.ln(10)
    pdf.cell(95, 6, "Хатшылық / Секретариат: ____________________")
    pdf.cell(0, 6, "М.О. (мөһір орны) / М.П.", align="R", **NEXT_LINE)
    return pdf.output()
