"""Voting rules as data: a quorum and a majority, each a threshold like ``>1/2`` or ``>=2/3``.

Regions keep their own rule (default: quorum more than half of members, a decision by more
than half of those present); the Council's comes from configuration (two thirds of all
members present, two thirds of those present deciding: Law No. 70-IV Art. 10).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import lazy_gettext as _l

from workflow.domain import RECUSAL_REASON_LABELS
from workflow.refusal import Refusal

_RULE = re.compile(r"^\s*(>=|>)\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")
# No rule lets fewer than half decide: a quorum or a majority is at least one half.
MIN_SHARE = Fraction(1, 2)


def well_formed(text: str | None) -> bool:
    """Whether ``text`` is written as a threshold (``>1/2``, ``>=2/3``), sensible or not."""
    match = _RULE.match(text or "")
    return match is not None and int(match[3]) > 0 and int(match[2]) <= int(match[3])


@dataclass(frozen=True)
class Threshold:
    fraction: Fraction
    strict: bool  # True: more than the fraction; False: at least the fraction

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """Parse ``>1/2`` or ``>=2/3``.

        :raise ValueError: on any other form, a share below one half (``>=0/1``), or one that
            nobody can meet (``>1/1``).
        """
        if not well_formed(text):
            raise ValueError(f"not a voting threshold: {text!r} (expected e.g. >1/2 or >=2/3)")
        match = _RULE.match(text)
        threshold = cls(Fraction(int(match[2]), int(match[3])), strict=match[1] == ">")
        if threshold.fraction < MIN_SHARE:
            # ">=0/1" is met with nobody present: a minority would decide for the body.
            raise ValueError(f"a threshold below one half: {text!r}")
        if threshold.strict and threshold.fraction == 1:
            raise ValueError(f"a threshold nobody can meet: {text!r}")
        return threshold

    def met(self, count: int, of: int) -> bool:
        """Whether ``count`` out of ``of`` reaches the threshold; exact, no floating point."""
        if of <= 0:
            return False
        share = Fraction(count, of)
        return share > self.fraction if self.strict else share >= self.fraction

    def minimum(self, of: int) -> int:
        """The smallest count out of ``of`` that meets the threshold."""
        for count in range(of + 1):
            if self.met(count, of):
                return count
        return of + 1

    def __str__(self) -> str:
        op = ">" if self.strict else ">="
        return f"{op}{self.fraction.numerator}/{self.fraction.denominator}"


@dataclass(frozen=True)
class VotingRule:
    quorum: Threshold
    majority: Threshold

    @classmethod
    def parse(cls, quorum: str, majority: str) -> VotingRule:
        return cls(Threshold.parse(quorum), Threshold.parse(majority))

    def has_quorum(self, present: int, members: int, recused: int = 0) -> bool:
        """Whether those present and not recused from the item make a quorum of ``members``."""
        return self.quorum.met(counted(present, recused), members)

    def passes(self, votes_for: int, present: int, recused: int = 0) -> bool:
        """Whether ``votes_for`` is a majority of those present and not recused."""
        return self.majority.met(votes_for, counted(present, recused))


def counted(present: int, recused: int = 0) -> int:
    """Who counts in an item's quorum and majority: those present, less those recused from it
    (a conflict of interest: the candidate, a relative, the nominating association's head).

    :raise ValueError: a negative figure, or more recused than present.
    """
    if present < 0 or recused < 0 or recused > present:
        raise ValueError(f"{recused} recused of {present} present")
    return present - recused


def cast_fits(present: int, recused: int, *votes: int | None) -> bool:
    """Whether the votes cast on an item (for, against, abstained) fit in those who count."""
    return sum(v or 0 for v in votes) <= counted(present, recused)


@dataclass(frozen=True)
class Tally:
    """One item's figures, as a refusal of ``check_item`` quotes them."""

    rule: VotingRule
    members: int  # the body's members
    present: int
    recused: int
    cast: int  # for, against and abstained together

    @property
    def counted(self) -> int:
        return counted(self.present, self.recused)

    @property
    def needed(self) -> int:
        """The fewest of the members who make a quorum."""
        return self.rule.quorum.minimum(self.members)


class ItemRefusals(ABC):
    """How one body says no to an item's votes: the rules are ``check_item``'s, the words the
    body's own (each its msgid, translated as it is), and so is the form's field a refusal
    stands beside. Each method gives the ``Refusal`` for the item's ``Tally``."""

    @abstractmethod
    def negative(self, tally: Tally) -> Refusal:
        """A count of votes below zero."""

    @abstractmethod
    def recused_above_present(self, tally: Tally) -> Refusal:
        """More recused from the item than present."""

    @abstractmethod
    def no_quorum(self, tally: Tally) -> Refusal:
        """Too few of those present count in the item (its recusals broke the quorum)."""

    @abstractmethod
    def votes_above_counted(self, tally: Tally) -> Refusal:
        """More votes cast than those who count (present, less the recused)."""


def check_item(rule: VotingRule, members: int, present: int, recused: int,
               votes: tuple[int | None, ...], say: ItemRefusals) -> None:
    """Refuse an item's votes (for, against, abstained) that ``rule`` does not allow, the first
    fault in this order: a negative count; more recused than present; too few present and not
    recused for a quorum of ``members``; more votes cast than those who count. A regional
    session and the Council check every decided item with it, each saying no in its own words.

    With none recused the quorum checked is the body's own: a record refuses a meeting without
    one before its items, in its own words, so what it meets here is what the recusals broke; a
    decision's step, with no record before it, meets both here.

    :raise Refusal: the one ``say`` gives for the fault.
    """
    tally = Tally(rule, members, present, recused, sum(v or 0 for v in votes))
    if any((v or 0) < 0 for v in votes):
        raise say.negative(tally)
    if recused > present:
        raise say.recused_above_present(tally)
    if not rule.has_quorum(present, members, recused):
        raise say.no_quorum(tally)
    if not cast_fits(present, recused, *votes):
        raise say.votes_above_counted(tally)


@dataclass(frozen=True)
class Recusal:
    """Participants recused from one item for a conflict of interest: how many, who, why."""

    count: int = 0
    names: str = ""
    reason: str = ""  # a key of domain.RECUSAL_REASON_LABELS
    note: str = ""

    def checked(self, present: int, label: str, field: str) -> Recusal:
        """The recusal, tidied; ``label`` names the item, ``field`` the form's row.

        :raise Refusal: more recused than present, or recused without who and why (or why
            without how many).
        """
        names, reason, note = (self.names or "").strip(), self.reason or "", (self.note or "").strip()
        if not self.count:
            if names or reason:
                raise Refusal(_l("%(item)s: give how many participants are recused.",
                                 item=label), field=f"{field}-recused")
            return Recusal()
        if self.count > present:
            raise Refusal(_l("%(item)s: %(recused)s recused but only %(present)s present.",
                             item=label, recused=self.count, present=present),
                          field=f"{field}-recused")
        if not names:
            raise Refusal(_l("%(item)s: name who is recused.", item=label),
                          field=f"{field}-recusal_names")
        if reason not in RECUSAL_REASON_LABELS:
            raise Refusal(_l("%(item)s: choose why they are recused.", item=label),
                          field=f"{field}-recusal_reason")
        if reason == "other" and not note:
            raise Refusal(_l("%(item)s: you chose “Other”: describe the conflict of interest.",
                             item=label), field=f"{field}-recusal_note")
        return Recusal(self.count, names, reason, note)


REGIONAL_DEFAULT = (">1/2", ">1/2")
