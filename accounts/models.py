"""Per-user API tokens."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A user's token for the REST API. Only a SHA-256 digest and a display prefix are kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"


class Profile(models.Model):
    """A user's preferences for the web UI; times are shown in `time_zone`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="IANA zone name, e.g. Europe/Berlin."
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone})"
