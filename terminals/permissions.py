"""Who may use the terminal workspace at all: its members (CHROTE's workspace is invite-only)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import Role, User
from terminals.exceptions import NotMemberError


def is_member(user: User | Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.VIEWER))


class IsWorkspaceMember(BasePermission):
    """Anonymous: 401 (DRF's NotAuthenticated); signed in but not a member: 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if not is_member(request.user):
            raise NotMemberError()
        return True


def member_required(view: Any) -> Any:
    """Pages: sign in first; a signed-in account that is not a member sees a 403 page."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_member(request.user):
            return render(request, "terminals/not_member.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped
