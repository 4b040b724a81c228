"""The admin of postmortems: written in the incident room, tidied here."""

from django.contrib import admin

from postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemTemplate,
    PostmortemVersion,
)


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
