"""Account pages: sign in and out, and the profile (time zone)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import ProfileForm
from .services import profile_set_time_zone, profile_time_zone


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                chosen = profile_set_time_zone(
                    user=request.user, time_zone=form.cleaned_data["time_zone"]
                )
            except ValueError as exc:
                form.add_error("time_zone", str(exc))
            else:
                messages.success(request, f"Times are now shown in {chosen.time_zone}.")
                return redirect("accounts:profile")
        status = 400
    else:
        form = ProfileForm(initial={"time_zone": profile_time_zone(user=request.user)})
        status = 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)
