"""Error pages that say what went wrong (Django's default 400 page gets no context)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", {"exception": str(exception or "")}, status=400)
