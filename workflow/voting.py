"""Voting rules as data: a quorum and a majority, each a threshold like ``>1/2`` or ``>=2/3``.

Regions keep their own rule (default: quorum more than half of members, a decision by more
than half of those present); the Council's comes from configuration (two thirds of all
members present, two thirds of those present deciding: Law No. 70-IV Art. 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_RULE = re.compile(r"^\s*(>=|>)\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Threshold:
    fraction: Fraction
    strict: bool  # True: more than the fraction; False: at least the fraction

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """Parse ``>1/2`` or ``>=2/3``.

        :raise ValueError: on any other form.
        """
        match = _RULE.match(text or "")
        if not match or int(match[3]) == 0 or int(match[2]) > int(match[3]):
            raise ValueError(f"not a voting threshold: {text!r} (expected e.g. >1/2 or >=2/3)")
        return cls(Fraction(int(match[2]), int(match[3])), strict=match[1] == ">")

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

    def has_quorum(self, present: int, members: int) -> bool:
        return self.quorum.met(present, members)

    def passes(self, votes_for: int, present: int) -> bool:
        return self.majority.met(votes_for, present)


REGIONAL_DEFAULT = (">1/2", ">1/2")
