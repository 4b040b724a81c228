from django.contrib import admin

from incidents.models import Alert, Delivery, Incident, Integration, TimelineEntry


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "token_prefix", "default_service", "resolve_policy", "enabled"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["token_prefix", "token_digest", "created_at"]
    search_fields = ["name"]

    def has_add_permission(self, request):  # tokens are minted by the API or create_integration
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "integration", "received_at", "state", "attempts", "body_bytes"]
    list_filter = ["state", "integration"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "fingerprint",
        "name",
        "status",
        "starts_at",
        "ends_at",
        "incident",
        "times_seen",
    ]
    list_filter = ["status", "integration"]
    search_fields = ["fingerprint"]
    raw_id_fields = ["incident"]
    readonly_fields = [f.name for f in Alert._meta.fields]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ["at", "kind", "actor_name", "text", "pinned"]
    readonly_fields = ["at", "kind", "actor_name", "text", "pinned"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-mostly: lifecycle changes go through the API so that the timeline records them."""

    list_display = ["reference", "title", "severity", "status", "kind", "started_at", "commander"]
    list_filter = ["status", "severity", "kind", "services"]
    search_fields = ["title", "summary", "=number"]
    readonly_fields = [f.name for f in Incident._meta.fields]
    filter_horizontal = ["services", "responders"]
    inlines = [TimelineInline]

    def has_add_permission(self, request):
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["incident", "at", "kind", "actor_name", "pinned"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in TimelineEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
