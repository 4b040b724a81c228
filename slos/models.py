"""The services catalog."""

from django.db import models


class Service(models.Model):
    """Something users depend on; incidents affect services and SLOs belong to them.

    Services named by an alert's service label that nobody has declared are created with
    `discovered=True`, so no alert is dropped for naming an unknown service.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    discovered = models.BooleanField(
        default=False, help_text="Created from an alert label; review and tidy."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name
