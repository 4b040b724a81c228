"""Contact methods, page delivery (email, webhook) and the signed acknowledge link."""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator
from django.db import transaction
from django.urls import reverse

from core import outbound
from core.actors import Actor
from core.errors import KeelError
from core.outbound_policy import Refused, check_url
from core.roles import Role, role_of
from incidents.services import incident_acknowledge

from ..choices import Channel, PageStatus
from ..models import ContactMethod, Page
from ._common import now, require
from .escalation import acknowledged_at, escalation_stop_if_done

logger = logging.getLogger(__name__)

ACK_SALT = "oncall.page-acknowledge"


def _may_edit_contacts(user: Any, owner: Any) -> None:
    if user is None or user.pk == owner.pk:
        return
    require(user, Role.ADMIN)


def _may_add_contacts(user: Any, owner: Any) -> None:
    """Responders and up add their own ways to be paged (viewers are never paged)."""
    _may_edit_contacts(user, owner)
    if user is not None:
        require(user, Role.RESPONDER)


def _check_address(kind: str, address: str) -> str:
    address = address.strip()
    if kind == Channel.EMAIL:
        try:
            EmailValidator()(address)
        except ValidationError as exc:
            raise KeelError(f"{address!r} is not an email address.", field="address") from exc
    elif kind == Channel.WEBHOOK:
        try:
            target = check_url(address, outbound.configured_allowlist())
        except Refused as exc:
            raise KeelError(exc.message, field="address") from exc
        if target.scheme == "http" and not settings.KEEL_PAGE_WEBHOOK_ALLOW_HTTP:
            raise KeelError("Webhook URLs must use https.", field="address")
    else:
        raise KeelError(f"Contact methods are {', '.join(Channel.values)}.", field="kind")
    return address


@transaction.atomic
def contact_method_create(
    *, user: Any, owner: Any, kind: str, address: str, label: str = ""
) -> ContactMethod:
    """Add a way to page `owner`; responders manage their own, admins anyone's."""
    _may_add_contacts(user, owner)
    address = _check_address(kind, address)
    if ContactMethod.objects.filter(user=owner, kind=kind, address=address).exists():
        raise KeelError("That contact method exists already.", field="address")
    return ContactMethod.objects.create(user=owner, kind=kind, address=address, label=label)


@transaction.atomic
def contact_method_delete(*, user: Any, method: ContactMethod) -> None:
    _may_edit_contacts(user, method.user)
    method.delete()


# --- delivery ------------------------------------------------------------------------


def acknowledge_token(page: Page) -> str:
    return signing.dumps(
        {"page": page.pk, "incident": page.incident_id, "user": page.user_id}, salt=ACK_SALT
    )


def acknowledge_url(page: Page) -> str:
    path = reverse("oncall:page-acknowledge", kwargs={"token": acknowledge_token(page)})
    return settings.KEEL_BASE_URL.rstrip("/") + path


def page_from_token(token: str) -> Page:
    """The page a signed acknowledge link names; KeelError when the link is bad or old."""
    try:
        data = signing.loads(
            token, salt=ACK_SALT, max_age=settings.KEEL_PAGE_ACK_LINK_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired as exc:
        raise KeelError("This acknowledge link has expired; acknowledge in Keel instead.") from exc
    except signing.BadSignature as exc:
        raise KeelError("This acknowledge link is not valid.") from exc
    page = Page.objects.select_related("incident", "user").filter(pk=data.get("page")).first()
    if page is None or page.incident_id != data.get("incident") or page.user_id != data.get("user"):
        raise KeelError("This acknowledge link is not valid.")
    return page


def page_acknowledge(*, page: Page, at: datetime | None = None) -> Any:
    """Acknowledge the paged incident as the paged person (the signed link proves who)."""

    if role_of(page.user) < Role.RESPONDER:
        raise KeelError(f"{page.user} cannot acknowledge incidents (needs the responder role).")

    when = now(at)
    try:
        incident = incident_acknowledge(incident=page.incident, actor=Actor.of(page.user), at=when)
    except KeelError as exc:
        raise KeelError(exc.message) from exc
    # The acknowledgement since the incident last opened (a reopen asks again).
    acknowledged = incident.last_acknowledged_at
    if acknowledged is None or acknowledged < page.created_at:
        acknowledged = when
    Page.objects.filter(pk=page.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=acknowledged
    )
    escalation_stop_if_done(incident=incident, at=when, acknowledged=when)
    return incident


def _message(page: Page) -> tuple[str, str]:
    incident = page.incident
    link = settings.KEEL_BASE_URL.rstrip("/") + reverse(
        "ui:incident-room", kwargs={"number": incident.number}
    )
    subject = f"[Keel] {incident.severity} {incident.reference}: {incident.title}"
    body = (
        f"{incident.reference} ({incident.severity}, {incident.status}) needs someone.\n\n"
        f"{incident.title}\n\nOpen: {link}\nAcknowledge with one click: {acknowledge_url(page)}\n"
    )
    return subject, body


class DeliveryFailed(Exception):
    """Sending failed in a way worth retrying."""


class DeliveryRefused(Exception):
    """Not sent, and not worth retrying: the address is not one Keel sends to."""


def _post_webhook(url: str, payload: dict[str, Any]) -> int:
    options = outbound.configured_options()
    options["timeout"] = settings.KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS
    try:
        response = outbound.post_json(
            url, payload, headers={"User-Agent": "Keel-Pager/1"}, **options
        )
    except outbound.OutboundRefused as exc:
        raise DeliveryRefused(exc.message) from exc
    except outbound.OutboundError as exc:
        raise DeliveryFailed(exc.message[:400]) from exc
    if response.status >= 500 or response.status == 429:
        raise DeliveryFailed(f"HTTP {response.status}")
    return response.status


def _not_retried(status: int) -> str:
    if 300 <= status < 400:
        return f"HTTP {status}: the webhook redirects, and Keel does not follow redirects."
    return f"HTTP {status} (not retried)"


def attempt_delivery(
    what: str, attempts: int, send: Callable[[], tuple[str, str]]
) -> tuple[str, str, bool]:
    """Send once (attempt number `attempts`): the new status, the error to show, and
    whether to retry. Any failure to send is shown and, while attempts are left, retried."""
    try:
        status, error = send()
        return status, error, False
    except DeliveryRefused as exc:
        return PageStatus.FAILED, str(exc)[:400], False
    except Exception as exc:
        if not isinstance(exc, DeliveryFailed):
            logger.exception("%s: unexpected error while sending", what)
        error = str(exc)[:400] or type(exc).__name__
        retry = attempts < settings.KEEL_PAGE_MAX_ATTEMPTS
        logger.warning("%s attempt %s failed: %s", what, attempts, error)
        return (PageStatus.PENDING if retry else PageStatus.FAILED), error, retry


def webhook_status(url: str, payload: dict[str, Any]) -> tuple[str, str]:
    """Post a Slack-compatible message: delivered, or failed for good with the reason;
    raises DeliveryFailed when worth retrying (5xx, 429, timeouts, refused)."""
    status = _post_webhook(url, payload)
    if 200 <= status < 300:
        return PageStatus.DELIVERED, ""
    return PageStatus.FAILED, _not_retried(status)


def _send(page: Page) -> str:
    """Send once; the new status. Raises DeliveryFailed for a retryable failure."""
    subject, body = _message(page)
    if page.channel == Channel.EMAIL:
        address = page.contact_method.address if page.contact_method else page.user.email
        try:
            send_mail(subject, body, None, [address])
        except OSError as exc:
            raise DeliveryFailed(f"mail: {exc}"[:400]) from exc
        return PageStatus.SENT
    method = page.contact_method
    if method is None:
        raise KeelError("A webhook page needs its contact method.")
    payload = {
        "text": f"{subject}\n<{acknowledge_url(page)}|Acknowledge> · {body.splitlines()[4]}",
        "incident": {
            "reference": page.incident.reference,
            "title": page.incident.title,
            "severity": page.incident.severity,
            "status": page.incident.status,
        },
        "acknowledge_url": acknowledge_url(page),
    }
    status = _post_webhook(method.address, payload)
    if 200 <= status < 300:
        return PageStatus.DELIVERED
    page.last_error = _not_retried(status)
    return PageStatus.FAILED


def _acknowledged(page: Page) -> bool:
    """Whether someone has the incident, as far as the page's escalation run goes (a
    run restarted by a reopen ignores the acknowledgement from before)."""

    if page.escalation is None:
        return page.incident.last_acknowledged_at is not None
    return acknowledged_at(page.escalation, page.incident) is not None


def page_deliver(*, page_id: int, at: datetime | None = None) -> tuple[Page | None, bool]:
    """Try to deliver a pending page once. Returns the page and whether to retry.

    Pages of an incident acknowledged or resolved meanwhile are not sent."""
    with transaction.atomic():
        page = (
            Page.objects.select_for_update(of=("self",))
            .select_related("incident", "user", "contact_method", "escalation")
            .filter(pk=page_id)
            .first()
        )
        if page is None or page.status in (
            PageStatus.DELIVERED,
            PageStatus.SENT,
            PageStatus.FAILED,
        ):
            return page, False
        if _acknowledged(page) or not page.incident.is_open:
            page.status = PageStatus.FAILED
            page.last_error = "Not sent: the incident was acknowledged or resolved first."
            page.save(update_fields=["status", "last_error"])
            return page, False
        page.attempts += 1
        page.save(update_fields=["attempts"])
    when = now(at)

    def send() -> tuple[str, str]:
        status = _send(page)
        return status, page.last_error if status == PageStatus.FAILED else ""

    status, error, retry = attempt_delivery(f"page {page.pk}", page.attempts, send)
    page.status = status
    page.last_error = error
    fields = ["status", "last_error"]
    if status in (PageStatus.SENT, PageStatus.DELIVERED):
        page.sent_at = when
        fields.append("sent_at")
    if status == PageStatus.DELIVERED:
        page.delivered_at = when
        fields.append("delivered_at")
    page.save(update_fields=fields)
    return page, retry


def retry_backoff_seconds(attempts: int) -> float:
    """Exponential backoff before the next attempt: base, 2xbase, 4xbase, …"""
    return float(settings.KEEL_PAGE_RETRY_BASE_SECONDS) * (2 ** max(0, attempts - 1))
