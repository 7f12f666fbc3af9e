"""The acknowledgement a coordinator prints and hands to the nominee: the reference code, the
address of the status page, the date and the nominee's name, in Kazakh and Russian. No IIN."""

from __future__ import annotations

from datetime import date

from workflow.members.certificate import FONT, NEXT_LINE, frame, heading, labelled, new_pdf, numeric
from workflow.models import Nomination


def render(nomination: Nomination, *, submitted: date, status_page: str) -> bytearray:
    """The acknowledgement as PDF bytes."""
    candidate, region = nomination.candidate, nomination.region
    pdf = new_pdf(f"Растама / Подтверждение {nomination.reference_code}")
    frame(pdf)
    pdf.ln(6)
    heading(pdf, "ҚАЗАҚСТАН ХАЛҚЫ АССАМБЛЕЯСЫ", "АССАМБЛЕЯ НАРОДА КАЗАХСТАНА", 14)
    pdf.ln(6)
    heading(pdf, "Кандидатураның ұсынылғаны туралы растама",
            "Подтверждение о выдвижении кандидатуры", 15)
    pdf.ln(8)
    labelled(pdf, "Кандидат", "Кандидат", candidate.full_name)
    labelled(pdf, "Өңір", "Регион", f"{region.name_kk} / {region.name_ru}")
    labelled(pdf, "Ұсынылған күні", "Дата выдвижения", numeric(submitted))

    pdf.ln(2)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, "Анықтама коды / Код для справок", align="C", **NEXT_LINE)
    pdf.set_font(FONT, "B", 28)
    pdf.cell(0, 16, nomination.reference_code, align="C", border=1, **NEXT_LINE)
    pdf.ln(6)

    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, "Ұсынымның қай кезеңде екенін осы кодпен және туған күніңізбен мына "
                         "бетте тексере аласыз:", **NEXT_LINE)
    pdf.multi_cell(0, 6, "Узнать, на каком этапе выдвижение, можно по этому коду и дате "
                         "рождения на странице:", **NEXT_LINE)
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 8, status_page, align="C", **NEXT_LINE)
    pdf.ln(4)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, "Кодты басқа адамдарға бермеңіз: ол сіздің ұсынымыңызды ғана көрсетеді.",
                   **NEXT_LINE)
    pdf.multi_cell(0, 5, "Не передавайте код другим лицам: он открывает только ваше выдвижение.",
                   **NEXT_LINE)
    pdf.ln(14)
    pdf.cell(0, 6, "Үйлестіруші / Координатор: ______________________", **NEXT_LINE)
    return pdf.output()
