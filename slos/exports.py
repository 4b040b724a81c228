"""The SLOs Keel exports to Prometheus (rules) and Grafana (dashboards): those whose SLI
comes from Prometheus and whose rules would load; the others are named with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from .choices import SliSource
from .models import SLO
from .promql import QueryError
from .rule_names import KEEL, RuleNames
from .rules import RuleSlo, check_rules


@dataclass
class Export:
    slos: list[tuple[SLO, RuleSlo]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # why each SLO left out was

    @property
    def rule_slos(self) -> list[RuleSlo]:
        return [rule_slo for _, rule_slo in self.slos]


def rule_slo(slo: SLO) -> RuleSlo:
    return RuleSlo(
        service=slo.service.slug,
        name=slo.name,
        objective=slo.objective,
        window_days=slo.window_days,
        bad_query=slo.bad_query,
        good_query=slo.good_query,
        total_query=slo.total_query,
        windows=slo.windows(),
        alerting=slo.alerting if isinstance(slo.alerting, dict) else {},
        labels=slo.labels if isinstance(slo.labels, dict) else {},
    )


def exported_slos(*, service: str | None = None, names: RuleNames = KEEL) -> Export:
    """Every Prometheus-sourced SLO (of one service by slug) whose rules are valid."""
    slos = SLO.objects.filter(source=SliSource.PROMETHEUS).select_related("service")
    if service:
        slos = slos.filter(service__slug=service)
    export = Export()
    for slo in slos:
        one = rule_slo(slo)
        try:
            check_rules(one, names)
        except QueryError as error:
            export.left_out.append(f"left out {slo}: {error}; fix it on /slos/{slo.pk}/edit/")
            continue
        export.slos.append((slo, one))
    return export
