"""One action on several nominations at once, all or nothing, with what happened to each.

A batch is one transaction. Every nomination is first asked ``pipeline.verify`` (the checks
``apply`` makes before it writes, with the version the person saw), so one refused does not
hide the others: if any is refused nothing is applied, and the batch says which was refused
and why and which would have passed. Otherwise each goes through ``pipeline.apply`` in turn,
through the channel the table names; should an effect still refuse one, the whole transaction
rolls back and that one is reported refused. One audit event per nomination, as one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflow import pipeline
from workflow.database import transaction
from workflow.extensions import db
from workflow.models import Nomination
from workflow.permissions import scoped
from workflow.refusal import Refusal, not_found

# A batch larger than a queue's page is not something a person ticked.
MAX_BATCH = 200


class Result(StrEnum):
    DONE = "done"  # applied (the batch was committed)
    REFUSED = "refused"  # this one was refused: nothing of the batch was applied
    HELD_BACK = "held_back"  # nothing against it, but another was refused


@dataclass
class Outcome:
    nomination_id: int
    reference_code: str = ""  # empty: not a nomination the person may see
    name: str = ""
    result: Result = Result.HELD_BACK
    refusal: Refusal | None = None


@dataclass
class Batch:
    """What a bulk action did: ``applied`` (every one) or not at all, and each one's outcome."""

    action: str
    outcomes: list[Outcome] = field(default_factory=list)
    applied: bool = False

    @property
    def transition(self) -> pipeline.Transition:
        return pipeline.BY_ACTION[self.action]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result is Result.REFUSED]

    def raise_first(self) -> None:
        """For a caller that says no with the first refusal, as one by one would have."""
        for outcome in self.refused:
            raise outcome.refusal


def _seen(user, ids: list[int]) -> dict[int, Nomination]:
    """The nominations among ``ids`` that ``user`` may see, with their candidate, in one query."""
    stmt = (scoped(select(Nomination), user, Nomination).where(Nomination.id.in_(ids))
            .options(joinedload(Nomination.candidate)))
    return {n.id: n for n in db.session.scalars(stmt)}


def apply_all(user, action: str, versions: Mapping[int, int | None], *,
              channel: pipeline.Channel, comment: str = "",
              data: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None) -> Batch:
    """Fire ``action`` on every nomination of ``versions`` (id → the version the person saw,
    or None) in one transaction, all or none.

    ``data`` may be a function: it runs first inside the transaction (to lock and read the
    body that records the step, e.g. a Council meeting) and gives the data of every step.

    :raise Refusal: nothing chosen, too many, or ``data`` refused (the body, not one
        nomination); a nomination's refusal is in the batch's outcomes instead.
    """
    ids = list(dict.fromkeys(versions))
    if not ids:
        raise Refusal(_l("Choose at least one nomination."), code="missing_data",
                      field="items")
    if len(ids) > MAX_BATCH:
        raise Refusal(_l("Choose at most %(n)s nominations at once.", n=MAX_BATCH),
                      code="invalid", field="items")
    batch = Batch(action)
    try:
        with transaction(actor=user):
            step_data = data() if callable(data) else (data or {})
            seen = _seen(user, ids)
            for nomination_id in ids:
                nomination = seen.get(nomination_id)
                outcome = Outcome(nomination_id)
                if nomination is not None:
                    outcome.reference_code = nomination.reference_code
                    outcome.name = nomination.candidate.full_name
                batch.outcomes.append(outcome)
                try:
                    if nomination is None:
                        raise not_found()
                    pipeline.verify(nomination_id, action, user, channel=channel,
                                    comment=comment, data=step_data,
                                    expected_version=versions[nomination_id])
                except Refusal as refusal:
                    outcome.result, outcome.refusal = Result.REFUSED, refusal
            if batch.refused:
                raise batch.refused[0].refusal  # rolls the transaction back
            for outcome in batch.outcomes:
                try:
                    pipeline.apply(outcome.nomination_id, action, user, channel=channel,
                                   comment=comment, data=step_data,
                                   expected_version=versions[outcome.nomination_id])
                except Refusal as refusal:  # an effect's refusal, or a concurrent change
                    outcome.result, outcome.refusal = Result.REFUSED, refusal
                    raise
    except Refusal:
        if not batch.refused:
            raise  # the body's refusal (``data``), not one nomination's
        return batch  # rolled back: nothing of the batch is kept
    for outcome in batch.outcomes:
        outcome.result = Result.DONE
    batch.applied = True
    return batch
