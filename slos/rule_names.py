"""The names and labels of the series Keel's exported rules record, in Keel's own scheme and
in Sloth's (pure): the rules and the Grafana dashboards built on them both read them here."""

from __future__ import annotations

from datetime import timedelta

from .durations import duration_text


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: object) -> str:
    return f"{float(value):.10g}"  # type: ignore[arg-type]


class RuleNames:
    """Keel's scheme: `keel:slo_errors:ratio_rate<lookback>{service, slo}`, one rule group
    per SLO, alerts carrying the labels that route them back to the SLO."""

    compat = "keel"
    ratio_prefix = "keel:slo_errors:ratio_rate"
    # A label that tells the lookbacks of one SLO apart (Sloth's sloth_window); none in Keel's.
    window_label: str | None = None

    def ratio(self, lookback: timedelta) -> str:
        """The recorded error ratio (bad / total events) over a lookback."""
        return f"{self.ratio_prefix}{duration_text(lookback)}"

    def identity(self, service: str, slo: str) -> dict[str, str]:
        """The labels that name one SLO's series."""
        return {"service": service, "slo": slo}

    def ratio_labels(self, service: str, slo: str, lookback: timedelta) -> dict[str, str]:
        labels = self.identity(service, slo)
        if self.window_label:
            labels[self.window_label] = duration_text(lookback)
        return labels

    def selector(self, service: str, slo: str) -> str:
        pairs = sorted(self.identity(service, slo).items())
        return "{" + ", ".join(f'{name}="{_quote(value)}"' for name, value in pairs) + "}"

    def above(self, lookback: timedelta, selector: str, threshold: str) -> str:
        """The error ratio of a lookback where it exceeds a threshold, comparable with
        another lookback's by `and`."""
        return f"{self.ratio(lookback)}{selector} > {threshold}"

    def group_names(self, service: str, slo: str) -> tuple[str, str, str]:
        """(error ratios, metadata, alerts) groups; one name for all three in Keel's scheme."""
        name = f"keel-slo-{service}-{slo}"
        return name, name, name

    # What the dashboards show ----------------------------------------------------------

    def burn_rate(self, service: str, slo: str, lookback: timedelta, error_budget: object) -> str:
        """Error ratio over a lookback / the error budget (1 - objective)."""
        return f"{self.ratio(lookback)}{self.selector(service, slo)} / {_number(error_budget)}"

    def budget_remaining(
        self, service: str, slo: str, window: timedelta, error_budget: object
    ) -> str:
        """1 - the budget the window's errors consumed (below 0 when overspent)."""
        return f"1 - {self.burn_rate(service, slo, window, error_budget)}"

    def sli(self, service: str, slo: str, lookback: timedelta) -> str:
        """good / total over a lookback."""
        return f"1 - {self.ratio(lookback)}{self.selector(service, slo)}"


class SlothNames(RuleNames):
    """Sloth's scheme, as Sloth's generator writes it: `slo:sli_error:ratio_rate<window>` with
    `sloth_id`, `sloth_service`, `sloth_slo` and `sloth_window`, metadata series
    (`slo:objective:ratio`, `slo:error_budget:ratio`, `slo:period_error_budget_remaining:ratio`,
    `sloth_slo_info`, ...), and `sloth-slo-*` groups, so dashboards made for Sloth work."""

    compat = "sloth"
    ratio_prefix = "slo:sli_error:ratio_rate"
    window_label = "sloth_window"
    objective_record = "slo:objective:ratio"
    error_budget_record = "slo:error_budget:ratio"
    time_period_record = "slo:time_period:days"
    current_burn_rate_record = "slo:current_burn_rate:ratio"
    period_burn_rate_record = "slo:period_burn_rate:ratio"
    remaining_record = "slo:period_error_budget_remaining:ratio"
    info_record = "sloth_slo_info"
    severity_label = "sloth_severity"
    _join = "on(sloth_id, sloth_slo, sloth_service) group_left"

    def sloth_id(self, service: str, slo: str) -> str:
        return f"{service}-{slo}"

    def identity(self, service: str, slo: str) -> dict[str, str]:
        return {
            "sloth_id": self.sloth_id(service, slo),
            "sloth_service": service,
            "sloth_slo": slo,
        }

    def above(self, lookback: timedelta, selector: str, threshold: str) -> str:
        # The lookbacks' series differ by sloth_window, which `and` would otherwise match on.
        return f"max({self.ratio(lookback)}{selector} > {threshold}) without ({self.window_label})"

    def group_names(self, service: str, slo: str) -> tuple[str, str, str]:
        sloth_id = self.sloth_id(service, slo)
        return (
            f"sloth-slo-sli-recordings-{sloth_id}",
            f"sloth-slo-meta-recordings-{sloth_id}",
            f"sloth-slo-alerts-{sloth_id}",
        )

    def burn_rate_of(self, record: str, selector: str) -> str:
        return f"{record}{selector}\n/ {self._join}\n{self.error_budget_record}{selector}"

    def meta_rules(
        self,
        *,
        service: str,
        slo: str,
        objective_percent: object,
        window: timedelta,
        current: timedelta,
        labels: dict[str, str],
    ) -> list[dict[str, object]]:
        """Sloth's metadata recordings of one SLO; `current` is the lookback of the current
        burn rate (the short lookback of the fastest page alert)."""
        selector = self.selector(service, slo)
        objective = f"{float(objective_percent) / 100:.10g}"  # type: ignore[arg-type]
        info = {
            "sloth_mode": "cli-gen-prom",
            "sloth_objective": f"{float(objective_percent):.10g}",  # type: ignore[arg-type]
            "sloth_spec": "prometheus/v1",
            "sloth_version": "keel",
        }

        def rule(record: str, expr: str, extra: dict[str, str] | None = None) -> dict[str, object]:
            # Each rule its own labels, so that YAML writes them out rather than as aliases.
            return {"record": record, "expr": expr, "labels": {**labels, **(extra or {})}}

        return [
            rule(self.objective_record, f"vector({objective})"),
            rule(self.error_budget_record, f"vector(1-{objective})"),
            rule(self.time_period_record, f"vector({_number(window / timedelta(days=1))})"),
            rule(self.current_burn_rate_record, self.burn_rate_of(self.ratio(current), selector)),
            rule(self.period_burn_rate_record, self.burn_rate_of(self.ratio(window), selector)),
            rule(self.remaining_record, f"1 - {self.period_burn_rate_record}{selector}"),
            rule(self.info_record, "vector(1)", info),
        ]

    def burn_rate(self, service: str, slo: str, lookback: timedelta, error_budget: object) -> str:
        return self.burn_rate_of(self.ratio(lookback), self.selector(service, slo))

    def budget_remaining(
        self, service: str, slo: str, window: timedelta, error_budget: object
    ) -> str:
        return f"{self.remaining_record}{self.selector(service, slo)}"


KEEL = RuleNames()
SLOTH = SlothNames()
SCHEMES = {names.compat: names for names in (KEEL, SLOTH)}
