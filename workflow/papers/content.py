"""What each paper says: its facts, read from the record, and how they are drawn.

``facts(kind, subject)`` reads every figure and name a paper prints from the database into
plain JSON-able values (never typed text: votes, counts and outcomes are the record's, and the
quorum and majority checks are computed here from the body's rule). ``draw(kind, facts, head)``
lays them out; it reads nothing else, so the same facts give the same paper.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from workflow.domain import ROUTE_LABELS, MembershipStatus
from workflow.extensions import db
from workflow.models import (
    ChairmanOrder,
    CouncilMeeting,
    Membership,
    Nomination,
    OrderDecision,
    PaperKind,
    RegionalSession,
)
from workflow.nominations.services import submitted_on
from workflow.papers import wording as w
from workflow.papers.layout import FONT, Letterhead, OfficialPaper, numeric
from workflow.voting import VotingRule


def both(label) -> tuple[str, str]:
    """A lazy interface label in Kazakh and in Russian."""
    with force_locale("kk"):
        kk = str(label)
    with force_locale("ru"):
        ru = str(label)
    return kk, ru


def _nominator(nomination: Nomination) -> str:
    if nomination.association is not None:
        return nomination.association.name
    return nomination.nominating_body or "—"


def _region(region) -> dict:
    return {"kk": region.name_kk, "ru": region.name_ru}


def _rule(quorum: str, majority: str, members: int, present: int | None) -> dict:
    rule = VotingRule.parse(quorum, majority)
    checks = {"quorum": quorum, "majority": majority,
              "quorum_needed": rule.quorum.minimum(members)}
    if present is not None:
        checks.update(present=present, quorum_met=rule.has_quorum(present, members),
                      majority_needed=rule.majority.minimum(present))
    return checks


def _recusal(item) -> dict:
    """An item's recusals, where there were any (a paper without them keeps its facts)."""
    if not item.recused:
        return {}
    return {"recused": item.recused, "recusal_names": item.recusal_names or "",
            "recusal_reason": item.recusal_reason or "other",
            "recusal_note": item.recusal_note or ""}


# --- facts: one function per kind ----------------------------------------------------------


def session_facts(session: RegionalSession, *, with_votes: bool) -> dict:
    items = []
    for item in session.items:
        nomination = item.nomination
        row = {"position": item.position, "name": nomination.candidate.full_name,
               "nominator": _nominator(nomination)}
        if with_votes:
            row.update(outcome=item.outcome, deferred=bool(item.deferred),
                       votes_for=item.votes_for, votes_against=item.votes_against,
                       votes_abstain=item.votes_abstain,
                       reason=(item.deferral_reason or "").strip())
            row.update(_recusal(item))
        items.append(row)
    return {
        "number": session.number, "held_on": session.held_on.isoformat(), "place": session.place,
        "region": _region(session.region), "members_total": session.members_total,
        "override_reason": session.rule_override_reason or "",
        **_rule(session.quorum, session.majority, session.members_total,
                session.members_present if with_votes else None),
        **({"no_quorum": True} if with_votes and session.no_quorum else {}),
        "items": items,
    }


def council_rule() -> tuple[str, str]:
    config = current_app.config
    return config["COUNCIL_QUORUM"], config["COUNCIL_MAJORITY"]


def meeting_facts(meeting: CouncilMeeting, *, with_votes: bool) -> dict:
    quorum, majority = council_rule()
    items = []
    for position, item in enumerate(meeting.items, start=1):
        nomination = item.nomination
        row = {"position": position, "name": nomination.candidate.full_name,
               "region": _region(nomination.region),
               "route": both(ROUTE_LABELS.get(nomination.route, nomination.route))}
        if with_votes:
            row.update(outcome=item.outcome, votes_for=item.votes_for,
                       votes_against=item.votes_against, votes_abstain=item.votes_abstained)
            row.update(_recusal(item))
        items.append(row)
    return {
        "number": str(meeting.id), "held_on": meeting.meeting_date.isoformat(),
        "title": meeting.title or "", "members_total": meeting.members_total,
        **_rule(quorum, majority, meeting.members_total,
                meeting.present if with_votes else None),
        "items": items,
    }


def order_facts(order: ChairmanOrder) -> dict:
    members = {m.nomination_id: m.member_number for m in db.session.scalars(
        select(Membership).where(Membership.order_id == order.id))}
    approved, rejected = [], []
    for item in order.items:
        nomination = item.nomination
        row = {"name": nomination.candidate.full_name, "region": _region(nomination.region)}
        if item.decision == OrderDecision.APPROVE:
            approved.append({**row, "member_number": members.get(item.nomination_id, "")})
        else:
            rejected.append(row)
    return {"number": order.number, "order_date": order.order_date.isoformat(),
            "approved": approved, "rejected": rejected}


# What the Assembly's certificate says under the member's name (kept before bodies were
# configuration: its facts carry no words of the body).
ASSEMBLY_MEMBER_OF = ("Қазақстан халқы ассамблеясының мүшесі болып табылады.",
                      "является членом Ассамблеи народа Казахстана.")


def _body_words() -> dict:
    """The certificate's title and line of the body served (TIZIM_BODY) where they are not
    the Assembly's: a People's Council member is not certified a member of the Assembly. The
    Assembly's certificates keep the facts they always had, so none issued reads as changed."""
    certificate = current_app.config["BODY_CONFIG"].certificate
    words = {}
    if (certificate.member_of.kk, certificate.member_of.ru) != ASSEMBLY_MEMBER_OF:
        words["member_of"] = [certificate.member_of.kk, certificate.member_of.ru]
    if (certificate.title.kk, certificate.title.ru) != TITLES[PaperKind.CERTIFICATE]:
        words["title"] = [certificate.title.kk, certificate.title.ru]
    return words


def certificate_facts(membership: Membership) -> dict:
    nomination = membership.nomination
    order = db.session.get(ChairmanOrder, membership.order_id) if membership.order_id else None
    ended = membership.status == MembershipStatus.ENDED
    return {
        "number": membership.member_number, "name": membership.candidate.full_name,
        "started_on": membership.started_on.isoformat(), "region": _region(membership.region),
        "route": both(ROUTE_LABELS.get(nomination.route, nomination.route)),
        "nominator": _nominator(nomination),
        "order": {"number": order.number, "date": order.order_date.isoformat()} if order else None,
        "ended_on": membership.ended_on.isoformat() if ended and membership.ended_on else None,
        **_body_words(),
    }


def acknowledgement_facts(nomination: Nomination) -> dict:
    config = current_app.config
    status_page = config["PUBLIC_BASE_URL"].rstrip("/") + config["PUBLIC_STATUS_PATH"]
    return {"number": nomination.reference_code, "name": nomination.candidate.full_name,
            "region": _region(nomination.region),
            "submitted_on": submitted_on(nomination).isoformat(), "status_page": status_page}


def _letterhead() -> dict:
    """The letterhead and the sentences' names of the body served where it is not the
    Assembly's (kept in the facts, so a paper reads the same after the body changes)."""
    body = current_app.config["BODY_CONFIG"]
    head = body.letterhead
    if head is None:
        return {}
    of = body.of or body.name
    return {"letterhead": {
        **{part: [getattr(head, part).kk, getattr(head, part).ru]
           for part in ("name", "council", "secretariat")},
        "body": [body.name.kk, body.name.ru], "of": [of.kk, of.ru],
        "short": [(body.short or of).kk, (body.short or of).ru],
        "council_of": [(head.council_of or head.council).kk, (head.council_of or head.council).ru],
    }}


class _Leave(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # filled later ({count}, {number} …)


def worded(pair: tuple[str, str], f: dict, *, capitals: bool = False) -> tuple[str, str]:
    """A pair of the papers' wording with the body's names in it, each in its language: the
    facts' (another body's, kept when the paper was issued), else the Assembly's."""
    head = f.get("letterhead") or {}
    names = {"name": head.get("body") or w.ASSEMBLY_NAME, "of": head.get("of") or w.ASSEMBLY_OF,
             "short": head.get("short") or w.ASSEMBLY_SHORT,
             "council_of": head.get("council_of") or w.COUNCIL_OF}
    return tuple(text.format_map(_Leave({key: value[i].upper() if capitals else value[i]
                                         for key, value in names.items()}))
                 for i, text in enumerate(pair))


def facts(kind: str, subject) -> dict:
    """Every figure and name the paper prints, from the record."""
    return _letterhead() | {
        PaperKind.SESSION_AGENDA: lambda s: session_facts(s, with_votes=False),
        PaperKind.SESSION_PROTOCOL: lambda s: session_facts(s, with_votes=True),
        PaperKind.COUNCIL_AGENDA: lambda m: meeting_facts(m, with_votes=False),
        PaperKind.COUNCIL_MINUTES: lambda m: meeting_facts(m, with_votes=True),
        PaperKind.ORDER_EXTRACT: order_facts,
        PaperKind.CERTIFICATE: certificate_facts,
        PaperKind.ACKNOWLEDGEMENT: acknowledgement_facts,
    }[kind](subject)


def rows_of(facts_: dict) -> int:
    """How long the paper is, in table rows: what decides whether a page may wait for it."""
    return len(facts_.get("items", ())) + len(facts_.get("approved", ())) + len(
        facts_.get("rejected", ()))


# --- drawing ---------------------------------------------------------------------------------


def _lang(paper: OfficialPaper) -> int:
    return 1 if paper.head.language == "ru" else 0


def _rules_block(paper: OfficialPaper, f: dict, total_label: tuple[str, str]) -> None:
    rows = [(paper.say(total_label), str(f["members_total"])),
            (paper.say(w.QUORUM_RULE),
             paper.say(w.QUORUM_RULE_VALUE, rule=f["quorum"], needed=f["quorum_needed"])),
            (paper.say(w.MAJORITY_RULE), paper.say(w.MAJORITY_RULE_VALUE, rule=f["majority"]))]
    if "present" in f:
        rows.insert(1, (paper.say(w.PRESENT), str(f["present"])))
    paper.facts(rows)
    if f.get("override_reason"):
        paper.paragraph(paper.say(w.RULE_OVERRIDE, reason=f["override_reason"]), size=9.5)


def _quorum_check(paper: OfficialPaper, f: dict) -> None:
    values = {"rule": f["quorum"], "total": f["members_total"], "needed": f["quorum_needed"],
              "present": f["present"]}
    paper.paragraph(paper.say(w.QUORUM_MET if f["quorum_met"] else w.QUORUM_MISSING, **values))
    paper.paragraph(paper.say(w.DECISION_RULE, rule=f["majority"], present=f["present"],
                              needed=f["majority_needed"]))


def _votes(value) -> str:
    return "—" if value is None else str(value)


def _opening(paper: OfficialPaper, f: dict, title: tuple[str, str], number: str,
             total: tuple[str, str], item: tuple[str, str], *, votes: bool,
             place: str = "") -> None:
    """What a body's agenda and its record share: the title, the figures and the rule, the
    quorum check once the votes are in, and the item under consideration."""
    paper.title_block(title, number=number, when=date.fromisoformat(f["held_on"]), place=place)
    if f.get("title"):
        paper.paragraph(f["title"], bold=True, align="C")
    _rules_block(paper, f, total)
    if votes:
        _quorum_check(paper, f)
    paper.heading(item, count=len(f["items"]))
    if not f["items"]:
        paper.paragraph(paper.say(w.AGENDA_EMPTY))


def _recusals(paper: OfficialPaper, f: dict) -> None:
    """Who was recused from which item, why, and over how many the item was counted."""
    recused = [i for i in f["items"] if i.get("recused")]
    if not recused:
        return
    lang = _lang(paper)
    paper.heading(w.RECUSALS_HEADING)
    for i in recused:
        reason = w.RECUSAL_REASONS.get(i["recusal_reason"], w.RECUSAL_REASONS["other"])[lang]
        if i.get("recusal_note"):
            reason = f"{reason}: {i['recusal_note']}"
        paper.paragraph(paper.say(w.RECUSAL_LINE, position=i["position"], name=i["name"],
                                  recused=i["recused"], names=i["recusal_names"] or "—",
                                  reason=reason, counted=f["present"] - i["recused"]))


def draw_session(paper: OfficialPaper, f: dict, *, protocol: bool) -> None:
    lang = _lang(paper)
    _opening(paper, f, w.SESSION_PROTOCOL_TITLE if protocol else w.SESSION_AGENDA_TITLE,
             paper.say(w.SESSION_NUMBER, number=f["number"]), w.MEMBERS_TOTAL,
             worded(w.AGENDA_ITEM, f),
             votes=protocol, place=f["place"])
    roles = [w.SESSION_CHAIR, w.SESSION_SECRETARY]
    if not protocol:
        if f["items"]:
            paper.grid([paper.say(w.COL_NO), paper.say(w.COL_CANDIDATE),
                        paper.say(w.COL_NOMINATOR)],
                       [(i["position"], i["name"], i["nominator"]) for i in f["items"]],
                       widths=(8, 46, 46), align=("CENTER", "LEFT", "LEFT"))
        paper.signatures(roles)
        return
    paper.heading(w.VOTES_HEADING)
    rows = [(i["position"], i["name"], _votes(i["votes_for"]), _votes(i["votes_against"]),
             _votes(i["votes_abstain"]), w.SESSION_OUTCOMES.get(i["outcome"], w.NOT_VOTED)[lang])
            for i in f["items"]]
    paper.grid([paper.say(w.COL_NO), paper.say(w.COL_CANDIDATE), paper.say(w.COL_FOR),
                paper.say(w.COL_AGAINST), paper.say(w.COL_ABSTAIN), paper.say(w.COL_OUTCOME)],
               rows, widths=(7, 34, 13, 12, 10, 24),
               align=("CENTER", "LEFT", "CENTER", "CENTER", "CENTER", "LEFT"))
    _recusals(paper, f)
    deferred = [i for i in f["items"] if i["outcome"] == "defer"]
    if deferred:
        paper.heading(w.DEFERRALS_HEADING)
        for i in deferred:
            reason = i["reason"] or paper.say(
                w.NO_QUORUM_REASON if f.get("no_quorum") else w.NO_REASON)
            paper.paragraph(paper.say(w.DEFERRAL_LINE, position=i["position"], name=i["name"],
                                      reason=reason))
    count = {o: sum(1 for i in f["items"] if i["outcome"] == o) for o in w.SESSION_OUTCOMES}
    paper.signatures(roles, lead=paper.say(w.SESSION_SUMMARY, support=count["support"],
                                           decline=count["decline_regionally"],
                                           defer=count["defer"]))


def draw_meeting(paper: OfficialPaper, f: dict, *, minutes: bool) -> None:
    lang = _lang(paper)
    region = ("kk", "ru")[lang]
    _opening(paper, f, worded(w.COUNCIL_MINUTES_TITLE if minutes else w.COUNCIL_AGENDA_TITLE,
                              f, capitals=True),
             paper.say(w.MEETING_NUMBER, number=f["number"]), w.COUNCIL_MEMBERS_TOTAL,
             worded(w.COUNCIL_ITEM, f), votes=minutes)
    roles = [w.COUNCIL_CHAIR, w.COUNCIL_SECRETARY]
    if not minutes:
        if f["items"]:
            paper.grid([paper.say(w.COL_NO), paper.say(w.COL_CANDIDATE),
                        paper.say(w.COL_REGION), paper.say(w.COL_ROUTE)],
                       [(i["position"], i["name"], i["region"][region], i["route"][lang])
                        for i in f["items"]],
                       widths=(8, 40, 26, 26), align=("CENTER", "LEFT", "LEFT", "LEFT"))
        paper.signatures(roles)
        return
    paper.heading(w.VOTES_HEADING)
    rows = [(i["position"], i["name"], i["region"][region], _votes(i["votes_for"]),
             _votes(i["votes_against"]), _votes(i["votes_abstain"]),
             w.COUNCIL_OUTCOMES.get(i["outcome"], w.NOT_VOTED)[lang]) for i in f["items"]]
    paper.grid([paper.say(w.COL_NO), paper.say(w.COL_CANDIDATE), paper.say(w.COL_REGION),
                paper.say(w.COL_FOR), paper.say(w.COL_AGAINST), paper.say(w.COL_ABSTAIN),
                paper.say(w.COL_OUTCOME)],
               rows, widths=(6, 27, 15, 12, 10, 9, 21),
               align=("CENTER", "LEFT", "LEFT", "CENTER", "CENTER", "CENTER", "LEFT"))
    _recusals(paper, f)
    paper.signatures(roles, lead=paper.say(
        w.COUNCIL_SUMMARY, recommend=sum(1 for i in f["items"] if i["outcome"] == "recommend"),
        decline=sum(1 for i in f["items"] if i["outcome"] == "decline_by_council")))


def draw_order(paper: OfficialPaper, f: dict) -> None:
    lang = _lang(paper)
    region = ("kk", "ru")[lang]
    paper.title_block(worded(w.ORDER_TITLE, f, capitals=True),
                      number=paper.say(w.ORDER_NUMBER, number=f["number"]),
                      when=date.fromisoformat(f["order_date"]))
    if f["approved"]:
        paper.heading(worded(w.ORDER_APPROVED, f), count=len(f["approved"]))
        paper.grid([paper.say(w.COL_NO), paper.say(w.COL_CANDIDATE), paper.say(w.COL_REGION),
                    paper.say(w.COL_MEMBER_NUMBER)],
                   [(n, i["name"], i["region"][region],
                     i["member_number"] or paper.say(w.NOT_ISSUED_YET))
                    for n, i in enumerate(f["approved"], start=1)],
                   widths=(8, 44, 26, 22), align=("CENTER", "LEFT", "LEFT", "LEFT"))
    if f["rejected"]:
        paper.heading(w.ORDER_REJECTED, count=len(f["rejected"]))
        paper.grid([paper.say(w.COL_NO), paper.say(w.COL_CANDIDATE), paper.say(w.COL_REGION)],
                   [(n, i["name"], i["region"][region])
                    for n, i in enumerate(f["rejected"], start=1)],
                   widths=(8, 56, 36), align=("CENTER", "LEFT", "LEFT"))
    paper.paragraph(paper.say(w.ORDER_NOTE), size=9.5)
    paper.signatures([w.ORDER_SIGNATURE], lead=paper.say(
        w.ORDER_SUMMARY, approved=len(f["approved"]), rejected=len(f["rejected"])))


def _labelled(paper: OfficialPaper, kk: str, ru: str, value: str) -> None:
    """One line of a two-language paper: the label in both languages, then the value."""
    paper.keep_with_next(paper.height_of(f"{kk} / {ru}", 0, 5, 9)
                         + paper.height_of(value or "—", 0, 7, 12, bold=True))
    paper.set_font(FONT, "", 9)
    paper.set_text_color(90, 90, 90)
    paper.multi_cell(0, 5, f"{kk} / {ru}", new_x="LMARGIN", new_y="NEXT")
    paper.set_text_color(20, 45, 90)
    paper.set_font(FONT, "B", 12)
    paper.multi_cell(0, 7, value or "—", new_x="LMARGIN", new_y="NEXT")
    paper.ln(2)


def draw_certificate(paper: OfficialPaper, f: dict) -> None:
    paper.title_block(tuple(f.get("title") or TITLES[PaperKind.CERTIFICATE]))
    paper.set_font(FONT, "B", 14)
    paper.cell(0, 8, f"№ {f['number']}", align="C", new_x="LMARGIN", new_y="NEXT")
    paper.ln(4)
    paper.set_font(FONT, "B", 18)
    paper.multi_cell(0, 9, f["name"], align="C", new_x="LMARGIN", new_y="NEXT")
    paper.ln(2)
    member_of_kk, member_of_ru = f.get("member_of") or ASSEMBLY_MEMBER_OF
    paper.paragraph(member_of_kk, size=12, align="C")
    paper.paragraph(member_of_ru, size=12, align="C")
    paper.ln(4)
    _labelled(paper, "Мүшелік басталған күн", "Дата начала членства", numeric(f["started_on"]))
    _labelled(paper, "Өңір", "Регион", f"{f['region']['kk']} / {f['region']['ru']}")
    _labelled(paper, "Ұсыну тәртібі", "Порядок выдвижения", " / ".join(f["route"]))
    _labelled(paper, "Кандидатураны ұсынған бірлестік немесе орган",
              "Объединение или орган, выдвинувшие кандидатуру", f["nominator"])
    if f["order"]:
        _labelled(paper, "Негіз: Төрағаның өкімі", "Основание: распоряжение Председателя",
                  f"№ {f['order']['number']}, {numeric(f['order']['date'])}")
    if f["ended_on"]:
        _labelled(paper, "Мүшелігі тоқтатылған күн", "Членство прекращено", numeric(f["ended_on"]))
    paper.signatures([("Хатшылық", "Секретариат")])
    paper.paragraph("М.О. (мөһір орны) / М.П. (место печати)", size=9, align="R")


def draw_acknowledgement(paper: OfficialPaper, f: dict) -> None:
    paper.title_block(("Кандидатураның ұсынылғаны туралы растама",
                       "Подтверждение о выдвижении кандидатуры"))
    _labelled(paper, "Кандидат", "Кандидат", f["name"])
    _labelled(paper, "Өңір", "Регион", f"{f['region']['kk']} / {f['region']['ru']}")
    _labelled(paper, "Ұсынылған күні", "Дата выдвижения", numeric(f["submitted_on"]))
    paper.set_font(FONT, "", 10)
    paper.cell(0, 6, "Анықтама коды / Код для справок", align="C", new_x="LMARGIN",
               new_y="NEXT")
    paper.set_font(FONT, "B", 26)
    paper.cell(0, 15, f["number"], align="C", border=1, new_x="LMARGIN", new_y="NEXT")
    paper.ln(5)
    paper.paragraph("Ұсынымның қай кезеңде екенін осы кодпен және туған күніңізбен мына бетте "
                    "тексере аласыз:", size=11)
    paper.paragraph("Узнать, на каком этапе выдвижение, можно по этому коду и дате рождения на "
                    "странице:", size=11)
    paper.paragraph(f["status_page"], size=12, bold=True, align="C")
    paper.paragraph("Кодты басқа адамдарға бермеңіз: ол сіздің ұсынымыңызды ғана көрсетеді.",
                    size=10)
    paper.paragraph("Не передавайте код другим лицам: он открывает только ваше выдвижение.",
                    size=10)
    paper.signatures([("Үйлестіруші", "Координатор")])


DRAWERS: dict[str, Callable[[OfficialPaper, dict], None]] = {
    PaperKind.SESSION_AGENDA: lambda p, f: draw_session(p, f, protocol=False),
    PaperKind.SESSION_PROTOCOL: lambda p, f: draw_session(p, f, protocol=True),
    PaperKind.COUNCIL_AGENDA: lambda p, f: draw_meeting(p, f, minutes=False),
    PaperKind.COUNCIL_MINUTES: lambda p, f: draw_meeting(p, f, minutes=True),
    PaperKind.ORDER_EXTRACT: draw_order,
    PaperKind.CERTIFICATE: draw_certificate,
    PaperKind.ACKNOWLEDGEMENT: draw_acknowledgement,
}

# The running head and the file's title: what the paper is, in its language.
TITLES = {
    PaperKind.SESSION_AGENDA: w.SESSION_AGENDA_TITLE,
    PaperKind.SESSION_PROTOCOL: w.SESSION_PROTOCOL_TITLE,
    PaperKind.COUNCIL_AGENDA: w.COUNCIL_AGENDA_TITLE,
    PaperKind.COUNCIL_MINUTES: w.COUNCIL_MINUTES_TITLE,
    PaperKind.ORDER_EXTRACT: w.ORDER_TITLE,
    PaperKind.CERTIFICATE: ("МҮШЕЛІК КУӘЛІГІ", "УДОСТОВЕРЕНИЕ ЧЛЕНА АССАМБЛЕИ"),
    PaperKind.ACKNOWLEDGEMENT: ("КАНДИДАТУРАНЫҢ ҰСЫНЫЛҒАНЫ ТУРАЛЫ РАСТАМА",
                                "ПОДТВЕРЖДЕНИЕ О ВЫДВИЖЕНИИ КАНДИДАТУРЫ"),
}


def body_of(kind: str, f: dict) -> tuple[str, str]:
    """The body that issues the paper, as the letterhead names it."""
    if kind in (PaperKind.SESSION_AGENDA, PaperKind.SESSION_PROTOCOL):
        return (w.REGIONAL_BODY[0].format(region=f["region"]["kk"]),
                w.REGIONAL_BODY[1].format(region=f["region"]["ru"]))
    head = f.get("letterhead") or {}
    if kind in (PaperKind.COUNCIL_AGENDA, PaperKind.COUNCIL_MINUTES):
        return tuple(head.get("council") or w.COUNCIL_BODY)
    if kind == PaperKind.ACKNOWLEDGEMENT:
        return (w.REGIONAL_BODY[0].format(region=f["region"]["kk"]),
                w.REGIONAL_BODY[1].format(region=f["region"]["ru"]))
    return tuple(head.get("secretariat") or w.SECRETARIAT_BODY)


def render(kind: str, f: dict, *, language: str, code: str, verify_url: str, issued_on,
           ) -> bytes:
    """The paper as PDF bytes (not yet sealed); the same arguments give the same bytes."""
    # A certificate's facts may carry its title (another body's); a meeting's "title" is the
    # meeting's own name, printed under the paper's title, not the paper's title.
    title = (tuple(f.get("title") or TITLES[kind]) if kind == PaperKind.CERTIFICATE
             else worded(TITLES[kind], f, capitals=True))
    index = 1 if language == "ru" else 0
    short = title[index] if language in ("kk", "ru") else f"{title[0]} / {title[1]}"
    number = f.get("number", "")
    head = Letterhead(language=language, body=body_of(kind, f),
                      issuer=tuple((f.get("letterhead") or {}).get("name") or w.ASSEMBLY),
                      short_title=f"{short} · № {number}" if number else short, code=code,
                      verify_url=verify_url, issued_on=issued_on,
                      keywords=f"tizim-verify:{code}")
    paper = OfficialPaper(head, metadata_title=f"{short} № {number}")
    DRAWERS[kind](paper, f)
    return bytes(paper.output())
