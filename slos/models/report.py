"""Weekly SLO reports, kept once sent."""

from django.db import models


class WeeklyReport(models.Model):
    """The weekly SLO report of the week starting `week_start` (one per week): what was sent
    by email and webhook, kept so it is sent once and can be read later."""

    week_start = models.DateField(unique=True)
    sent_at = models.DateTimeField()
    body = models.JSONField()
    text = models.TextField()

    class Meta:
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"SLO report of the week of {self.week_start}"
