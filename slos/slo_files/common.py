"""What every SLO file format shares: the neutral SLO shape, errors and notes that name the
file, document and field, and field access that checks queries as Keel will run them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import durations, promql


class SloFileError(Exception):
    """One or more refusals, each naming the file, document and field and saying why."""

    def __init__(self, path: str, document: int, where: str, message: str) -> None:
        self.lines = [_located(path, document, where, message)]
        super().__init__(self.lines[0])

    @classmethod
    def of(cls, errors: list[SloFileError]) -> SloFileError:
        combined = errors[0]
        lines = [line for error in errors for line in error.lines]
        combined.lines = lines
        combined.args = ("\n".join(lines),)
        return combined


def _located(path: str, document: int, where: str, message: str) -> str:
    parts = [path, f"document {document + 1}", where, message]
    return ": ".join(part for part in parts if part)


@dataclass
class SloSpec:
    """One SLO read from a file, ready for `slo_upsert`."""

    service: str
    name: str
    objective: Decimal
    source: str = "prometheus"
    description: str = ""
    window_kind: str = "rolling"
    window_days: int = 30
    time_zone: str = "UTC"
    budgeting_method: str = "occurrences"
    slice_seconds: int = 60
    slice_target: Decimal | None = None
    bad_query: str = ""
    good_query: str = ""
    total_query: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    alerting: dict[str, Any] = field(default_factory=dict)
    service_owner: str = ""
    owner_location: str = ""
    # A plain file's `owner` must name a team; Sloth's `labels.owner` is a label first, so a
    # name that is no team in Keel is said and left unset.
    owner_required: bool = True
    location: str = ""
    # Keel field -> where the file set it, so a later refusal points at the file's field.
    field_locations: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "objective": self.objective,
            "source": self.source,
            "window_kind": self.window_kind,
            "window_days": self.window_days,
            "time_zone": self.time_zone,
            "budgeting_method": self.budgeting_method,
            "slice_seconds": self.slice_seconds,
            "slice_target": self.slice_target,
            "bad_query": self.bad_query,
            "good_query": self.good_query,
            "total_query": self.total_query,
            "labels": self.labels,
            "alerting": self.alerting,
        }

    def where(self, keel_field: str | None) -> str:
        """The file's location of a Keel field (the SLO's own location when unknown)."""
        found = self.field_locations.get(keel_field or "")
        return found or f"{self.location}: {keel_field or 'slo'}"


@dataclass
class Reading:
    """Everything read from one file: the SLOs, and what the import changed or left out."""

    specs: list[SloSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[SloFileError] = field(default_factory=list)


class Doc:
    """Field access on one YAML document that reports where a field is missing or wrong,
    and collects notes (a spelling, a rewrite, something ignored) for the import to say."""

    def __init__(self, path: str, index: int, reading: Reading) -> None:
        self.path, self.index, self.reading = path, index, reading

    def fail(self, where: str, message: str) -> SloFileError:
        return SloFileError(self.path, self.index, where, message)

    def note(self, where: str, message: str) -> None:
        self.reading.notes.append(_located(self.path, self.index, where, message))

    def location(self, where: str) -> str:
        return _located(self.path, self.index, where, "")

    def get(
        self, data: Any, key: str, where: str, *, required: bool = True, kind: type = str
    ) -> Any:
        if not isinstance(data, dict):
            raise self.fail(where, "expected a mapping")
        value = data.get(key)
        at = f"{where}.{key}" if where else key
        if value is None:
            if required:
                raise self.fail(at, "is required")
            return None
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, kind):
            raise self.fail(at, f"expected {_kind_name(kind)}")
        return value

    def ignored(self, data: Any, where: str, known: set[str], why: str = "") -> None:
        """Say which keys of a mapping Keel does not read."""
        if not isinstance(data, dict):
            return
        extra = sorted(str(key) for key in data if key not in known)
        if extra:
            self.note(where, f"ignored {', '.join(extra)}: {why or 'not read by Keel'}")

    def percent(self, value: Any, where: str) -> Decimal:
        text = str(value).strip().removesuffix("%")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise self.fail(where, f"{value!r} is not a percent") from None
        if not 0 < number < 100:
            raise self.fail(where, "an objective is a percent strictly between 0 and 100")
        return number

    def days(self, text: str, where: str) -> int:
        try:
            length = durations.parse_duration(text)
        except ValueError as error:
            raise self.fail(where, str(error)) from None
        if length.total_seconds() % 86400:
            raise self.fail(where, "an SLO window is a whole number of days")
        return int(length.total_seconds() // 86400)

    def query(self, text: Any, where: str) -> str:
        """An event query as Keel will store it; refused here when Keel cannot run it."""
        if not isinstance(text, str):
            raise self.fail(where, "expected a PromQL query")
        try:
            checked = promql.check_events_query(text)
        except promql.QueryError as error:
            raise self.fail(where, str(error)) from None
        if checked.note:
            self.note(where, checked.note)
        return checked.query

    def ratio_query(self, text: Any, where: str) -> tuple[str, str]:
        """A Sloth raw error-ratio query as bad/total counts: ratio x seconds over seconds."""
        if not isinstance(text, str) or not text.strip():
            raise self.fail(where, "expected a PromQL query")
        if promql.WINDOW not in text:
            raise self.fail(where, f"an error-ratio query must use [{promql.WINDOW}]")
        bad = self.query(f"({text.strip()}) * {promql.SECONDS}", where)
        return bad, f"vector({promql.SECONDS})"


def _kind_name(kind: type) -> str:
    return {str: "text", dict: "a mapping", list: "a list", bool: "true or false"}.get(
        kind, kind.__name__
    )


def text_of(value: Any) -> str:
    """A YAML scalar as a label value (true -> "true", as Sloth writes it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def text_map(doc: Doc, data: Any, where: str) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise doc.fail(where, "expected a mapping of names to text")
    return {str(key): text_of(value) for key, value in data.items()}
