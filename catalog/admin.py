"""The admin of the catalog: services and teams."""

from django.contrib import admin

from .models import Service, Team


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "owner", "tier", "sla_objective", "discovered", "created_at"]
    list_filter = ["discovered", "tier", "owner"]
    search_fields = ["slug", "name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "working_hours_label"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members", "fallback_contacts"]
