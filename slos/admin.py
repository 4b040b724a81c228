from django.contrib import admin

from .models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "discovered", "created_at"]
    list_filter = ["discovered"]
    search_fields = ["slug", "name"]
