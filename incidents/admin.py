from django.contrib import admin

from incidents.models import Alert, Delivery, Incident, Integration, TimelineEntry
from postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemTemplate,
    PostmortemVersion,
)


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


class PostmortemSectionInline(admin.StackedInline):
    model = PostmortemSection
    extra = 0
    fields = ["key", "body", "revision", "updated_by", "updated_at"]
    readonly_fields = ["revision", "updated_by", "updated_at"]


class PostmortemReviewerInline(admin.TabularInline):
    model = PostmortemReviewer
    extra = 0


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    """Postmortems are written in the incident room; the admin is for tidying."""

    list_display = ["incident", "status", "required", "due_at", "published_at"]
    list_filter = ["status", "required"]
    search_fields = ["incident__title"]
    raw_id_fields = ["incident"]
    readonly_fields = ["facts", "facts_refreshed_at", "published_at", "published_version"]
    inlines = [PostmortemSectionInline, PostmortemReviewerInline]


@admin.register(PostmortemVersion)
class PostmortemVersionAdmin(admin.ModelAdmin):
    """Published versions are immutable: read-only here as in the database."""

    list_display = ["postmortem", "number", "published_at", "published_by_name"]
    readonly_fields = [f.name for f in PostmortemVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PostmortemTemplate)
class PostmortemTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "updated_at", "updated_by"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "incident", "owner", "priority", "kind", "status", "due_on"]
    list_filter = ["priority", "kind", "status"]
    search_fields = ["title"]
    raw_id_fields = ["incident", "postmortem"]
