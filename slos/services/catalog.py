"""State changes for the services catalog."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from catalog.models import Service


def service_slug(label_value: str) -> str:
    """The slug an alert label value maps to (`Checkout API` → `checkout-api`)."""
    return slugify(label_value)[:100]


def service_create(*, slug: str, name: str = "", description: str = "") -> Service:
    return Service.objects.create(slug=slug, name=name or slug, description=description)


def service_set_owner(*, service: Service, team: object | None) -> Service:
    """The team that owns the service: its on-call is paged and it gets the SLO mail."""
    service.owner = team  # type: ignore[assignment]
    service.save(update_fields=["owner"])
    return service


def services_get_or_discover(*, label_values: set[str]) -> list[Service]:
    """The services named by alert labels, creating unknown ones as discovered."""
    slugs = {service_slug(v): v for v in label_values if service_slug(v)}
    found = {s.slug: s for s in Service.objects.filter(slug__in=slugs)}
    for slug, raw in slugs.items():
        if slug in found:
            continue
        try:
            with transaction.atomic():
                found[slug] = Service.objects.create(slug=slug, name=raw, discovered=True)
        except IntegrityError:  # created concurrently by another delivery
            found[slug] = Service.objects.get(slug=slug)
    return [found[s] for s in sorted(found)]
