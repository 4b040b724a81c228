"""Deliveries: store each webhook body raw, process it (with its group's earlier ones, in
arrival order), retry, and replay what failed.

Processing is idempotent: a delivery is processed once (row lock and state), and the
same alerts delivered again only refresh when they were last seen.
"""

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.actors import Actor
from core.errors import KeelError
from core.roles import Role

from .. import alertmanager
from ..choices import DeliveryState
from ..models import Delivery, Integration
from ..models.delivery import MAX_ATTEMPTS
from ..tasks import process_delivery
from . import ingestion

logger = logging.getLogger(__name__)


def enqueue_delivery(delivery_id: int) -> bool:
    """Hand a stored delivery to a worker; if the broker is down, the sweep retries later."""
    try:
        process_delivery.delay(delivery_id)
    except Exception:  # the broker is unreachable; the delivery is safe in the database
        logger.warning("could not enqueue delivery %s; the sweep will retry", delivery_id)
        return False
    return True


def delivery_receive(
    *,
    integration_id: int,
    body: bytes,
    user_agent: str = "",
    group_hash: str | None = None,
    at: datetime | None = None,
) -> Delivery:
    """Store an accepted webhook body in one INSERT and enqueue its processing on commit.

    `group_hash` is the alert group's (the webhook parsed the body already); without it,
    the body is parsed here."""
    if group_hash is None:
        try:
            group_hash = alertmanager.group_hash(alertmanager.parse(body).group_key)
        except alertmanager.PayloadError:
            group_hash = ""
    delivery = Delivery.objects.create(
        integration_id=integration_id,
        received_at=at or timezone.now(),
        body=body.decode(json.detect_encoding(body)),
        body_bytes=len(body),
        user_agent=user_agent[:200],
        group_hash=group_hash,
    )
    transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    return delivery


# A group's unprocessed deliveries processed ahead of a later one, at most, per call.
EARLIER_PER_DELIVERY = 100


def _process_locked(delivery: Delivery, notification: alertmanager.Notification, now: datetime):
    """Process one locked delivery inside a savepoint; a failure marks it failed."""
    delivery.attempts += 1
    try:
        with transaction.atomic():
            delivery.outcome = ingestion.apply_notification(delivery, notification, now)
    except (OperationalError, InterfaceError, IntegrityError):
        raise  # may pass: the whole task retries
    except Exception as exc:
        logger.exception("delivery %s failed", delivery.pk)
        delivery.state = DeliveryState.FAILED
        delivery.error = f"{type(exc).__name__}: {exc}"[:4000]
    else:
        delivery.state = DeliveryState.PROCESSED
        delivery.error = ""
    delivery.processed_at = now
    delivery.save(update_fields=["state", "attempts", "outcome", "error", "processed_at"])


def _lock_pending(head: Delivery, ghash: str) -> list[Delivery]:
    """Lock this delivery and the group's deliveries that arrived before it and still wait
    (the broker was down, or their task is behind), in arrival order, this one last.

    of=("self",): lock the delivery rows only. Locking the joined integration row too would
    block every webhook INSERT (its foreign-key check) and every other worker of that
    integration until this transaction ends."""
    earlier = (
        Q(integration_id=head.integration_id, group_hash=ghash)
        & (Q(received_at__lt=head.received_at) | Q(received_at=head.received_at, pk__lt=head.pk))
        & (
            Q(state=DeliveryState.RECEIVED)
            | Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS)
        )
    )
    rows = list(
        Delivery.objects.select_for_update(of=("self",))
        .select_related("integration")
        .filter(earlier | Q(pk=head.pk))
        .order_by("received_at", "pk")[: EARLIER_PER_DELIVERY + 1]
    )
    if rows and rows[-1].pk != head.pk:  # more waiting than one call takes: this one too
        rows.append(
            Delivery.objects.select_for_update(of=("self",))
            .select_related("integration")
            .get(pk=head.pk)
        )
    return rows


def _record_database_error(delivery_id: int, exc: Exception, now: datetime) -> None:
    """Count an attempt that a database error ended (the task retries; after the last one,
    the delivery shows as failed to admins instead of waiting unseen)."""
    try:
        Delivery.objects.filter(pk=delivery_id).exclude(state=DeliveryState.PROCESSED).update(
            state=DeliveryState.FAILED,
            attempts=F("attempts") + 1,
            error=f"{type(exc).__name__}: {exc}"[:4000],
            processed_at=now,
        )
    except Exception:  # the database itself is away; the sweep comes back to it
        logger.warning("could not record the failed attempt of delivery %s", delivery_id)


def delivery_process(*, delivery_id: int, at: datetime | None = None) -> Delivery | None:
    """Group a stored delivery's alerts into incidents; a processed delivery is left alone.

    The group's earlier deliveries that still wait are processed first. Database errors
    that may pass (lost connection, deadlock) propagate so the task can retry; anything
    else marks the delivery failed with the error, for the sweep or an admin to replay.
    """
    now = at or timezone.now()
    try:
        with transaction.atomic():
            head = Delivery.objects.select_related("integration").filter(pk=delivery_id).first()
            if head is None or head.state == DeliveryState.PROCESSED:
                return head
            try:
                notification = alertmanager.parse(head.body)
            except alertmanager.PayloadError as exc:
                Delivery.objects.filter(pk=delivery_id).update(
                    state=DeliveryState.FAILED,
                    error=str(exc),
                    attempts=MAX_ATTEMPTS,  # the same body will never parse
                    processed_at=now,
                )
                return Delivery.objects.filter(pk=delivery_id).first()
            ghash = alertmanager.group_hash(notification.group_key)
            # The group lock before any delivery's row lock, in every worker: whoever holds
            # the group may lock all of its deliveries without waiting on another worker.
            ingestion.lock_group(head.integration_id, ghash)
            # A group's news applies in arrival order: its earlier deliveries that still
            # wait go first, so a resolve never turns its firing notification into older
            # news.
            pending = _lock_pending(head, ghash)
            if not pending:
                return None
            *earlier, delivery = pending
            for other in earlier:
                try:
                    parsed = alertmanager.parse(other.body)
                except alertmanager.PayloadError:
                    continue  # its own task records why
                _process_locked(other, parsed, now)
            if delivery.state == DeliveryState.PROCESSED:
                return delivery
            _process_locked(delivery, notification, now)
            return delivery
    except (OperationalError, InterfaceError, IntegrityError) as exc:
        _record_database_error(delivery_id, exc, now)
        raise  # may pass (lost connection, deadlock, a concurrent reopen): the task retries


@transaction.atomic
def delivery_replay(*, delivery: Delivery, actor: Actor) -> Delivery:
    """Process a failed delivery again (after a fix, or once its cause has passed)."""
    actor.require(Role.ADMIN)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state == DeliveryState.PROCESSED:
        raise KeelError(f"Delivery {delivery.pk} was processed already; nothing to replay.")
    delivery.state = DeliveryState.RECEIVED
    delivery.attempts = 0
    delivery.error = ""
    delivery.save(update_fields=["state", "attempts", "error"])
    transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    return delivery


@transaction.atomic
def deliveries_replay_failed(*, integration: Integration, actor: Actor) -> int:
    """Process again every delivery of an integration that failed after its retries."""
    actor.require(Role.ADMIN)
    ids = list(
        Delivery.objects.select_for_update()
        .filter(integration=integration, state=DeliveryState.FAILED, attempts__gte=MAX_ATTEMPTS)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)
    )
    Delivery.objects.filter(pk__in=ids).update(state=DeliveryState.RECEIVED, attempts=0, error="")
    transaction.on_commit(lambda: [enqueue_delivery(pk) for pk in ids])
    return len(ids)


def deliveries_requeue(*, at: datetime | None = None, limit: int = 5000) -> int:
    """Enqueue deliveries left unprocessed (broker down, worker lost) or failed too few times."""
    cutoff = (at or timezone.now()) - timedelta(seconds=settings.KEEL_REQUEUE_AFTER_SECONDS)
    ids = list(
        Delivery.objects.filter(
            Q(state=DeliveryState.RECEIVED)
            | Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS),
            received_at__lt=cutoff,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(enqueue_delivery(pk) for pk in ids)
