"""Incident impact on a budget: the debit formula, overlapping incidents' shares, where
an episode began, and the budget as an account of debits (docs/budget.md; pure)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from .budget import Interval, Number, consumed, error_budget, error_ratio, exact


def impact(*, bad_in_incident: Number, allowed_in_window: Number) -> Fraction | None:
    """An incident's debit (docs/budget.md): the bad events (or slices) attributed to it,
    over the allowance of its debit window. The one formula every surface shows."""
    return consumed(bad=bad_in_incident, allowed=allowed_in_window)


@dataclass(frozen=True)
class Segment:
    """A piece of time covered by the same set of incidents' impact periods."""

    start: datetime
    end: datetime
    owners: tuple[str, ...]


def segments(periods: dict[str, Interval]) -> list[Segment]:
    """Cut the union of the impact periods at every boundary: each piece lists the
    incidents (keys, sorted) whose periods cover it. Pieces are half-open, in time order,
    and no instant lies in two of them, so a bad event falls in exactly one piece."""
    cuts = sorted({t for start, end in periods.values() if end > start for t in (start, end)})
    pieces: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        owners = tuple(
            sorted(key for key, (s, e) in periods.items() if e > s and s <= start and end <= e)
        )
        if owners:
            if pieces and pieces[-1].owners == owners and pieces[-1].end == start:
                pieces[-1] = Segment(pieces[-1].start, end, owners)
            else:
                pieces.append(Segment(start, end, owners))
    return pieces


@dataclass(frozen=True)
class Attribution:
    """One incident's share of the bad events: its own, and those it shares."""

    bad: Fraction
    own: Fraction
    shared: list[tuple[tuple[str, ...], Fraction]]  # (all owners, bad events of the piece)


def attribute(pieces: Sequence[tuple[Segment, Number]]) -> dict[str, Attribution]:
    """Debit each piece's bad events once: to its one incident, or split equally between
    the incidents whose periods overlap there. The debits add up to the bad events of the
    pieces, whatever the overlaps."""
    found: dict[str, tuple[Fraction, Fraction, list[tuple[tuple[str, ...], Fraction]]]] = {}
    for piece, bad in pieces:
        bad_ = exact(bad)
        for owner in piece.owners:
            total, own, shared = found.setdefault(owner, (Fraction(0), Fraction(0), []))
            part = bad_ / len(piece.owners)
            if len(piece.owners) == 1:
                own += bad_
            elif bad_:
                shared.append((piece.owners, bad_))
            found[owner] = (total + part, own, shared)
    return {key: Attribution(total, own, shared) for key, (total, own, shared) in found.items()}


def episode_start(
    minutes: Sequence[tuple[datetime, Number, Number]],
    *,
    objective: Number,
    start: datetime,
    step: timedelta = timedelta(minutes=1),
) -> datetime:
    """Where the SLI turned bad before `start`: the first of the unbroken run of intervals
    (bucket start, bad, total), each of length `step`, up to the one holding `start`, whose
    error ratio exceeds the error budget (a burn above 1). `start` when the interval
    holding it is not bad, or when no data says otherwise."""
    bad_at = {
        at: ratio > error_budget(objective)
        for at, bad, total in minutes
        if (ratio := error_ratio(bad=bad, total=total)) is not None
    }
    ordered = sorted(bad_at)
    holding = [at for at in ordered if at <= start < at + step]
    if not holding or not bad_at[holding[0]]:
        return start
    first = holding[0]
    while bad_at.get(first - step):
        first -= step
    return min(first, start)


@dataclass(frozen=True)
class LedgerLine:
    label: str
    bad: Fraction
    share: Fraction  # of the allowance
    balance: Fraction  # remaining share after this line


@dataclass(frozen=True)
class Ledger:
    allowance: Fraction
    lines: list[LedgerLine]
    remaining: Fraction


def ledger(
    *, allowance: Number, total_bad: Number, debits: Sequence[tuple[str, Number]]
) -> Ledger | None:
    """The budget as an account: the allowance, each incident's debit, then the rest of the
    window's bad events as "outside any incident". The debits must already count each bad
    event once (see `attribute`). None when nothing is allowed."""
    allowance_ = exact(allowance)
    if allowance_ <= 0:
        return None
    balance = Fraction(1)
    lines = []
    incident_bad = Fraction(0)
    for label, bad in debits:
        bad_ = exact(bad)
        incident_bad += bad_
        balance -= bad_ / allowance_
        lines.append(LedgerLine(label, bad_, bad_ / allowance_, balance))
    outside = max(Fraction(0), exact(total_bad) - incident_bad)
    balance -= outside / allowance_
    lines.append(LedgerLine("outside any incident", outside, outside / allowance_, balance))
    return Ledger(allowance_, lines, balance)
