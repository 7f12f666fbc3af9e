"""The look of an official paper of the Assembly, the same for every kind Tizim prints.

A letterhead with the Assembly's name in Kazakh (left) and Russian (right) and the body that
issues the paper; the title, number, date and place; on every page a running head, the page
number "of N", the verification code and its QR code. Paragraphs, table rows and the
signature block never split across pages, a heading never ends a page, and a table's heading
row repeats on each page it spans.

The font is DejaVu Sans, vendored in ``workflow/static/fonts`` (with its licence) and
embedded, so the Kazakh letters (ә ғ қ ң ө ұ ү һ і) print on any machine. Nothing here reads
the clock: the creation date is the paper's issue date, so the same paper gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

from workflow.papers import wording as w

FONT_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"
FONT = "DejaVu"
INK = (20, 45, 90)
GREY = (95, 95, 95)
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
MARGIN = 20
FOOTER_HEIGHT = 30  # the footer's QR code and lines, above the bottom edge


def numeric(d: date | datetime | str | None) -> str:
    """Dates as 24.11.2026: read the same way in Kazakh and Russian."""
    if d is None or d == "":
        return "—"
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    return d.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class Letterhead:
    """Who issues the paper and how it is identified, as printed on every page."""

    language: str  # kk, ru, or kk+ru (both on one page)
    body: tuple[str, str]  # the issuing body, (kk, ru)
    short_title: str  # the running head on the second page on
    code: str  # the verification code
    verify_url: str  # where the code is checked (also in the QR code)
    issued_on: datetime
    keywords: str
    issuer: tuple[str, str] = w.ASSEMBLY  # the body's name, (kk, ru), capitals


class OfficialPaper(FPDF):
    """An A4 page of the Assembly; call ``title_block`` first, then the drawing helpers."""

    def __init__(self, head: Letterhead, metadata_title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.head = head
        self.set_creation_date(head.issued_on)
        self.set_title(metadata_title)
        self.set_subject(metadata_title)
        self.set_author(head.issuer[0].title() + " / " + head.issuer[1].title())
        self.set_creator("Tizim")
        self.set_keywords(head.keywords)
        self.set_lang("kk" if head.language != "ru" else "ru")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=FOOTER_HEIGHT + 6)
        self.alias_nb_pages()
        self.add_page()

    def say(self, pair: tuple[str, str], **values) -> str:
        """The paper's wording in its language (both, slash-joined, on a two-language paper)."""
        kk, ru = (text.format(**values) for text in pair)
        if self.head.language == "kk":
            return kk
        if self.head.language == "ru":
            return ru
        return kk if kk == ru else f"{kk} / {ru}"

    # --- every page ----------------------------------------------------------------------

    def header(self) -> None:
        self.set_text_color(*INK)
        if self.page_no() == 1:
            self._letterhead()
            return
        self.set_y(10)
        self.set_font(FONT, "", 7)
        self.set_text_color(*GREY)
        self.cell(60, 4, self.head.issuer[1 if self.head.language == "ru" else 0])
        self.cell(0, 4, self.head.short_title, align="R", **NEXT_LINE)
        self.set_draw_color(*INK)
        self.set_line_width(0.2)
        self.line(MARGIN, 15, self.w - MARGIN, 15)
        self.set_text_color(*INK)
        self.set_y(MARGIN)

    def _letterhead(self) -> None:
        column = (self.w - 2 * MARGIN - 30) / 2
        top = 14
        issuer = self.head.issuer
        for x, name, body in ((MARGIN, issuer[0], self.head.body[0]),
                              (self.w - MARGIN - column, issuer[1], self.head.body[1])):
            self.set_xy(x, top)
            self.set_font(FONT, "B", 10.5)
            self.multi_cell(column, 5, name, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_font(FONT, "", 8.5)
            self.multi_cell(column, 4.2, body, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self._emblem(self.w / 2, top + 9, 9)
        self.set_draw_color(*INK)
        self.set_line_width(0.8)
        self.line(MARGIN, 37, self.w - MARGIN, 37)
        self.set_line_width(0.25)
        self.line(MARGIN, 38.2, self.w - MARGIN, 38.2)
        self.set_y(44)

    def _emblem(self, cx: float, cy: float, r: float) -> None:
        """A plain sun-and-ring mark between the two names (not the state emblem)."""
        self.set_draw_color(*INK)
        self.set_line_width(0.5)
        self.circle(x=cx, y=cy, radius=r, style="D")
        self.set_line_width(0.3)
        self.circle(x=cx, y=cy, radius=r * 0.45, style="D")
        for i in range(16):
            angle = 2 * math.pi * i / 16
            self.line(cx + math.cos(angle) * r * 0.55, cy + math.sin(angle) * r * 0.55,
                      cx + math.cos(angle) * r * 0.85, cy + math.sin(angle) * r * 0.85)

    def footer(self) -> None:
        size = 20
        top = self.h - FOOTER_HEIGHT
        self.set_draw_color(*INK)
        self.set_line_width(0.2)
        self.line(MARGIN, top, self.w - MARGIN, top)
        self.qr(self.w - MARGIN - size, top + 2, size, self.head.verify_url)
        text_width = self.w - 2 * MARGIN - size - 4
        self.set_xy(MARGIN, top + 2)
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 9)
        self.cell(text_width, 5, f"{self.say(w.VERIFY_CODE)}: {self.head.code}", **NEXT_LINE)
        self.set_font(FONT, "", 7.5)
        self.cell(text_width, 4, self.head.verify_url, **NEXT_LINE)
        self.set_text_color(*GREY)
        self.set_font(FONT, "", 7)
        self.multi_cell(text_width, 3.3, self.say(w.SEALED_NOTE), align="L", **NEXT_LINE)
        self.set_font(FONT, "", 8)
        self.set_xy(MARGIN, self.h - 7)
        self.cell(self.w - 2 * MARGIN, 4, self.say(w.PAGE_OF, page=self.page_no(), pages="{nb}"),
                  align="C")
        self.set_text_color(*INK)

    def qr(self, x: float, y: float, size: float, data: str) -> None:
        """Draw ``data`` as a QR code of ``size`` mm: vector squares, no image, no randomness."""
        matrix = segno.make(data, error="m", micro=False).matrix
        cell = size / len(matrix)
        self.set_fill_color(0, 0, 0)
        for row, line in enumerate(matrix):
            column = 0
            while column < len(line):
                if line[column]:
                    start = column
                    while column < len(line) and line[column]:
                        column += 1
                    self.rect(x + start * cell, y + row * cell, (column - start) * cell, cell,
                              style="F")
                else:
                    column += 1

    # --- the drawing helpers ---------------------------------------------------------------

    def title_block(self, title: tuple[str, str], *, number: str = "", when: date | None = None,
                    place: str = "") -> None:
        """The paper's name, then its number and date on one line, and the place."""
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 13)
        self.multi_cell(0, 6.5, self.say(title), align="C", **NEXT_LINE)
        self.ln(3)
        self.set_font(FONT, "", 11)
        if number or when:
            y = self.get_y()
            if when:
                self.cell(0, 6, self.say(w.DATED, date=numeric(when)), align="L")
            self.set_xy(MARGIN, y)
            if number:
                self.cell(0, 6, number, align="R")
            self.ln(6)
        if place:
            self.multi_cell(0, 6, self.say(w.PLACE, place=place), align="L", **NEXT_LINE)
        self.ln(3)

    def keep_with_next(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit here: a heading never ends a page."""
        if self.will_page_break(height):
            self.add_page()

    def heading(self, pair: tuple[str, str], **values) -> None:
        self.keep_with_next(30)
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, self.say(pair, **values), align="L", **NEXT_LINE)
        self.ln(1)

    def paragraph(self, text: str, *, size: float = 10.5, bold: bool = False,
                  align: str = "J") -> None:
        """A paragraph kept whole on one page: no orphan or widow lines."""
        self.keep_with_next(self.height_of(text, 0, size * 0.5, size, bold))
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, align=align, **NEXT_LINE)
        self.ln(1.5)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label and value pairs, in two columns without borders."""
        self.set_font(FONT, "", 10.5)
        with self.table(col_widths=(42, 58), borders_layout=TableBordersLayout.NONE,
                        first_row_as_headings=False, text_align=("LEFT", "LEFT"),
                        line_height=5.5, padding=(0.6, 1)) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=FontFace(color=GREY))
                row.cell(value, style=FontFace(emphasis="BOLD"))
        self.ln(2)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]],
             widths: Sequence[float], align: Sequence[str]) -> None:
        """A bordered table whose heading row repeats on every page it spans."""
        self.keep_with_next(24)
        self.set_font(FONT, "", 9.5)
        self.set_draw_color(*INK)
        self.set_line_width(0.2)
        with self.table(col_widths=tuple(widths), text_align=tuple(align), line_height=5,
                        padding=(1, 1.2), repeat_headings=1,
                        headings_style=FontFace(emphasis="BOLD", fill_color=(228, 234, 244)),
                        ) as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(str(value))
        self.ln(3)

    def height_of(self, text: str, width: float, line: float, size: float,
                  bold: bool = False) -> float:
        """How tall ``text`` will be, without drawing it."""
        self.set_font(FONT, "B" if bold else "", size)
        return self.multi_cell(width, line, text, dry_run=True, output="HEIGHT")

    def signatures(self, roles: Sequence[tuple[str, str]], lead: str = "") -> None:
        """The closing line ``lead`` and the signature lines, kept on one page together, so a
        page never holds the signatures alone."""
        labels = [self.say(role) for role in roles]
        heights = [max(5.5, self.height_of(label, 88, 5.5, 10.5)) for label in labels]
        needed = (self.height_of(lead, 0, 5.25, 10.5, bold=True) if lead else 0) + sum(
            h + 7 + 3.5 for h in heights) + 13
        self.ln(2)
        self.keep_with_next(needed)
        if lead:
            self.set_font(FONT, "B", 10.5)
            self.multi_cell(0, 5.25, lead, align="J", **NEXT_LINE)
        for label, height in zip(labels, heights, strict=True):
            self.ln(7)
            top = self.get_y()
            self.set_font(FONT, "", 10.5)
            self.multi_cell(88, 5.5, label, align="L", **NEXT_LINE)
            self.set_xy(112, top)
            self.cell(0, 5.5, "________________  /  ________________", align="R", **NEXT_LINE)
            self.set_y(top + height)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*GREY)
            self.cell(0, 3.5, self.say(w.SIGNATURE_HINT), align="R", **NEXT_LINE)
            self.set_text_color(*INK)
        self.ln(6)
        self.set_font(FONT, "", 9)
        self.cell(0, 5, self.say(w.ISSUED_ON, date=numeric(self.head.issued_on)), **NEXT_LINE)
