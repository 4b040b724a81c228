"""What every on-call page shares: the viewer check, the schedule lookup, error display."""

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest

from core.errors import KeelError
from oncall import selectors
from oncall.models import Schedule


def attempt(request: HttpRequest, change: Callable[[], object], success: str) -> None:
    """Make one change through its service; the next page says it was done, or why not."""
    try:
        change()
    except KeelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


def require_viewer(request: HttpRequest) -> None:
    selectors.team_list(user=request.user)  # raises PermissionDenied without the viewer role


def schedule_or_404(request: HttpRequest, pk: int) -> Schedule:
    require_viewer(request)
    schedule = selectors.schedule_list(user=request.user).filter(pk=pk).first()
    if schedule is None:
        raise Http404("No such schedule.")
    return schedule
