"""Account pages: sign in and out, and the profile (time zone)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .forms import ProfileForm
from .services import profile_has_chosen_zone, profile_set_time_zone, profile_time_zone


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return (
        "Too many failed sign-ins for this user or from this address. Sign-in is locked "
        f"for {minutes} minute{'s' if minutes != 1 else ''}; an admin can lift the lock "
        "earlier (Admin → Axes → Access attempts)."
    )


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (the right password included): the
    sign-in page again, 429, saying why and for how long."""
    message = lockout_message()
    if request.path.startswith(("/api/", "/hooks/")):
        return JsonResponse({"message": message}, status=429)
    username = str((credentials or {}).get("username") or "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": message, "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", context, status=429)


def _next(request: HttpRequest) -> str:
    """Where to go back to: a path on this host, else nothing (a bare word would be read as
    a view name by redirect(), and was a 500)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if not url.startswith("/"):
        return ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    chosen = profile_has_chosen_zone(user=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                saved = profile_set_time_zone(
                    user=request.user, time_zone=form.cleaned_data["time_zone"]
                )
            except ValueError as exc:
                form.add_error("time_zone", str(exc))
            else:
                messages.success(request, f"Times are now shown in {saved.time_zone}.")
                return redirect(_next(request) or "accounts:profile")
        status = 400
    else:
        form = ProfileForm(initial={"time_zone": profile_time_zone(user=request.user)})
        status = 200
    context = {"form": form, "zone_chosen": chosen, "next": _next(request)}
    return render(request, "accounts/profile.html", context, status=status)
