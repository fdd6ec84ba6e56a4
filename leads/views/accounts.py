"""Signing in and out, changing and resetting a password.

Django's auth views do the work; these subclasses choose our templates, sign in by email
and show django-axes' lockout on the login page itself."""

from typing import Any

from axes.helpers import get_cool_off, get_lockout_message
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy


class EmailAuthenticationForm(AuthenticationForm):
    """The login form, asking for an email address rather than a username."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check both and "
        "try again.",
    }


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' response once an email + address pair is locked out.

    On the staff login page: the login page again, with what was typed and a plain
    explanation (429). Anywhere else (e.g. an API login): axes' own default message."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path != reverse("accounts:login"):
        return HttpResponse(get_lockout_message(), status=status)
    cool_off = get_cool_off(request)
    minutes = round(cool_off.total_seconds() / 60) if cool_off else None
    form = EmailAuthenticationForm(request, data=request.POST or None)
    context: dict[str, Any] = {"form": form, "locked_out": True, "cooloff_minutes": minutes}
    return render(request, "accounts/login.html", context, status=status)


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The sign-in name django-axes counts failures against: the email given to
    authenticate() as `username` (Django's login form) or `email`, in lower case, so
    "Alice@…" and "alice@…" share one counter."""
    sources = [credentials or {}, getattr(request, "POST", None) or {}]
    for source in sources:
        for key in ("username", "email"):
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return None
