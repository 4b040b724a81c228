from django.contrib import admin

from oncall.models import (
    CalendarFeed,
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Handoff,
    HandoffReminder,
    Layer,
    LayerParticipant,
    Override,
    Page,
    Schedule,
)


class LayerInline(admin.TabularInline):
    model = Layer
    extra = 0
    show_change_link = True


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "time_zone"]
    list_filter = ["team"]
    inlines = [LayerInline]


class ParticipantInline(admin.TabularInline):
    model = LayerParticipant
    extra = 0


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ["name", "schedule", "position", "shift_length", "shift_unit", "handoff_at"]
    inlines = [ParticipantInline]


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ["schedule", "user", "starts_at", "ends_at", "reason"]
    list_filter = ["schedule"]


class TargetInline(admin.TabularInline):
    model = EscalationTarget
    extra = 0


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ["policy", "position", "escalate_after_minutes"]
    inlines = [TargetInline]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "repeat", "is_default"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["incident", "policy", "state", "next_position", "round", "started_at"]
    list_filter = ["state"]


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "masked_address", "enabled"]


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["incident", "user", "channel", "status", "attempts", "created_at"]
    list_filter = ["status", "channel"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["schedule", "outgoing", "incoming", "shift_start", "acknowledged_at"]


@admin.register(HandoffReminder)
class HandoffReminderAdmin(admin.ModelAdmin):
    list_display = ["handoff", "contact_method", "status", "attempts", "created_at"]
    list_filter = ["status"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["prefix", "schedule", "user", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "digest"]
