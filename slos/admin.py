from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from slos.models import (
    SLO,
    Correction,
    GateBypass,
    IncidentImpact,
    SliBucket,
    SliDay,
    SloStatus,
    WeeklyReport,
)


@admin.register(SLO)
class SloAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "objective", "window_kind", "budgeting_method", "source"]
    list_filter = ["source", "budgeting_method", "window_kind"]
    search_fields = ["name", "service__slug"]
    list_select_related = ["service"]


@admin.register(SloStatus)
class SloStatusAdmin(admin.ModelAdmin):
    """Written by the evaluation every minute; read only here."""

    list_display = ["slo", "remaining", "tier", "alert_state", "evaluated_at"]
    list_filter = ["tier", "alert_state"]
    list_select_related = ["slo", "slo__service"]
    raw_id_fields = ["slo", "burn_incident"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _CountsAdmin(admin.ModelAdmin):
    """Pushed counts come through the events API; read only here."""

    raw_id_fields = ["slo"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SliBucket)
class SliBucketAdmin(_CountsAdmin):
    list_display = ["slo", "minute", "good", "total"]


@admin.register(SliDay)
class SliDayAdmin(_CountsAdmin):
    list_display = ["slo", "day", "good", "total"]


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "category", "slo", "service", "reason"]
    list_filter = ["category"]
    raw_id_fields = ["slo", "service", "created_by"]


@admin.register(IncidentImpact)
class IncidentImpactAdmin(admin.ModelAdmin):
    """Computed from the incident and the SLI; read only here."""

    list_display = ["incident", "slo", "method", "fraction", "frozen", "computed_at"]
    list_filter = ["frozen", "method"]
    raw_id_fields = ["incident", "slo"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GateBypass)
class GateBypassAdmin(admin.ModelAdmin):
    list_display = ["service", "kind", "created_by", "created_at", "expires_at", "reason"]
    list_filter = ["kind"]
    raw_id_fields = ["service", "created_by"]


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ["week_start", "sent_at"]
    readonly_fields = ["week_start", "sent_at", "body", "text"]
