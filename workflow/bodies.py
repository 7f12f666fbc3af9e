"""The body Tizim serves, as configuration: its name, routes, seat quotas and voting rule.

A body is a TOML file under ``workflow/data/bodies/`` (``assembly.toml``, the default, is the
Assembly of People of Kazakhstan as Tizim always served it; ``peoples_council.toml`` is the
People's Council of 126 members in three quotas of 42). ``TIZIM_BODY`` names the file (or
gives a path to one). The file is checked when the application starts: a mistake stops it
with a message that names the file and the line of the setting at fault (``config.ConfigError``).

A quota counts the seats of one route (a rotation counts in the route of the member it
replaces), one region, or one named group (associations of some kinds and levels), and may
have a ceiling (``workflow.quotas`` counts them and refuses to go past a ceiling).
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Annotated

from flask import current_app
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from config import ConfigError
from workflow.domain import ROUTE_LABELS, AssociationKind, AssociationLevel, Route
from workflow.i18n import language
from workflow.voting import Threshold

BODIES_DIR = Path(__file__).parent / "data" / "bodies"
DEFAULT_BODY = "assembly"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


# The body's file is missing or wrong: the start stops with a ConfigError that names the file
# and the setting, as for any other setting that is missing or unusable.
BodyError = ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    """A text in the three languages of Tizim."""

    kk: Text
    ru: Text
    en: Text

    def __str__(self) -> str:
        return getattr(self, language() or "kk", None) or self.kk  # no context: Kazakh


class TwoLanguages(_Strict):
    """A text of a paper, which Tizim prints in Kazakh and Russian."""

    kk: Text
    ru: Text


class Certificate(_Strict):
    """The member's certificate: its title, and the line under the member's name."""

    title: TwoLanguages
    member_of: TwoLanguages


class PaperHead(_Strict):
    """The letterhead of the body's papers, where it is not the Assembly's: its name, and the
    Council and Secretariat that issue minutes, orders and certificates."""

    name: TwoLanguages
    council: TwoLanguages
    secretariat: TwoLanguages
    # The Council as a paper's title names it: "the meeting of …" (kk: the izafet's modifier,
    # ru: the genitive); by default ``council`` as it is.
    council_of: TwoLanguages | None = None


class Group(_Strict):
    """A named group of seats: the members nominated by associations of these kinds and levels
    (either list empty: any)."""

    name: Words
    association_kinds: tuple[AssociationKind, ...] = ()
    association_levels: tuple[AssociationLevel, ...] = ()


def _region_codes() -> frozenset[str]:
    with (Path(__file__).parent / "data" / "regions.csv").open(encoding="utf-8") as fh:
        return frozenset(row["iso_code"] for row in csv.DictReader(fh))


class Quota(_Strict):
    """Seats of one route, one region or one named group; at most ``ceiling`` if given."""

    key: Key
    name: Words
    route: Route | None = None
    region: str | None = None  # an ISO 3166-2 code from data/regions.csv, e.g. KZ-75
    group: Key | None = None  # a key of the body's [groups]
    ceiling: int | None = Field(default=None, ge=0, le=100_000)

    @model_validator(mode="after")
    def _one_thing_counted(self) -> Quota:
        given = [n for n in ("route", "region", "group") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a quota counts exactly one of route, region or group "
                             f"(quota {self.key!r} gives {', '.join(given) or 'none'})")
        if self.region is not None and self.region not in _region_codes():
            raise ValueError(f"quota {self.key!r}: region {self.region!r} is not in "
                             "workflow/data/regions.csv")
        return self


class Voting(_Strict):
    """The Council's rule, when the body's differs from the COUNCIL_* settings."""

    council_quorum: str
    council_majority: str

    @model_validator(mode="after")
    def _thresholds(self) -> Voting:
        Threshold.parse(self.council_quorum)
        Threshold.parse(self.council_majority)
        return self


class Body(_Strict):
    key: Key
    name: Words  # the full name, as a heading says it
    # The name as Tizim's sentences use it (``words``): ``of`` after "a member of", "nominated
    # for membership of" (kk and ru: the genitive; en: with its article); ``short`` after
    # "the Secretariat of", "a paper of" (kk: the short name as the modifier of an izafet,
    # "Ассамблея Хатшылығы"; ru: the genitive; en: with its article). Each defaults to the one
    # before it.
    of: Words | None = None
    short: Words | None = None
    certificate: Certificate
    letterhead: PaperHead | None = None  # None: the Assembly's (workflow/papers/wording.py)
    routes: tuple[Route, ...] = Field(min_length=1)
    # The body's own words for a route, where Tizim's (domain.ROUTE_LABELS) do not fit it.
    route_names: dict[Route, Words] = Field(default_factory=dict)
    members: int | None = Field(default=None, ge=1, le=100_000)  # the body's full size
    voting: Voting | None = None
    groups: dict[Key, Group] = Field(default_factory=dict)
    quotas: tuple[Quota, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Body:
        unserved = sorted(set(self.route_names) - set(self.routes))
        if unserved:
            raise ValueError(f"route_names names {', '.join(unserved)}, which is not among the "
                             "body's routes")
        keys = [q.key for q in self.quotas]
        if len(set(keys)) != len(keys):
            raise ValueError("two quotas have the same key")
        for quota in self.quotas:
            if quota.group is not None and quota.group not in self.groups:
                raise ValueError(f"quota {quota.key!r} counts group {quota.group!r}, which "
                                 "[groups] does not define")
            if quota.route is not None and quota.route not in self.routes:
                raise ValueError(f"quota {quota.key!r} counts route {quota.route!r}, which "
                                 "is not among the body's routes")
        if self.members is not None:
            ceilings = sum(q.ceiling or 0 for q in self.quotas if q.route is not None)
            if ceilings > self.members:
                raise ValueError(f"the route quotas' ceilings ({ceilings}) exceed the body's "
                                 f"{self.members} members")
        return self

    def words(self) -> dict[str, str]:
        """The body's names for Tizim's texts, in the current language: ``%(body)s`` is
        ``of``, ``%(body_short)s`` is ``short`` (``domain.body_text`` fills them in)."""
        of = self.of or self.name
        return {"body": str(of), "body_short": str(self.short or of)}

    @property
    def capped(self) -> bool:
        """Whether any quota has a ceiling (else nothing is ever refused for quotas)."""
        return any(q.ceiling is not None for q in self.quotas)


def route_label(route: str) -> str:
    """A route in the words of the body served (its ``route_names``, else Tizim's)."""
    named = current().route_names.get(route)
    return str(named) if named is not None else str(ROUTE_LABELS[Route(route)])


def path_of(name: str) -> Path:
    """The file ``TIZIM_BODY`` names: a shipped body's key, or a path to a .toml file."""
    if name.endswith(".toml") or "/" in name:
        return Path(name)
    return BODIES_DIR / f"{name}.toml"


def load(name: str = DEFAULT_BODY) -> Body:
    """Read and check a body's file.

    :raise BodyError: the file is missing, is not TOML, or a setting is wrong; the message
        names the file and each setting at fault.
    """
    path = path_of(name)
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in BODIES_DIR.glob("*.toml")))
        raise BodyError(f"TIZIM_BODY={name!r}: no file {path} (shipped bodies: {shipped}).")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BodyError(f"{path} is not a valid TOML file: {error}") from None
    try:
        return Body.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}"
            for e in error.errors())
        raise BodyError(f"{path}: {problems}") from None


def configure(config) -> Body:
    """Load the body ``config['BODY']`` names into ``config['BODY_CONFIG']``; a body with its
    own voting rule sets the Council's (``COUNCIL_QUORUM``, ``COUNCIL_MAJORITY``).

    :raise BodyError: see ``load``.
    """
    body = load(config.get("BODY") or DEFAULT_BODY)
    config["BODY_CONFIG"] = body
    if body.voting is not None:
        config["COUNCIL_QUORUM"] = body.voting.council_quorum
        config["COUNCIL_MAJORITY"] = body.voting.council_majority
    return body


def current() -> Body:
    """The body the running application serves."""
    return current_app.config["BODY_CONFIG"]
