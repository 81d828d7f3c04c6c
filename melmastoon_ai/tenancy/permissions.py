from __future__ import annotations

from rest_framework.permissions import BasePermission


class ScopeRequired(BasePermission):
    """Allow a principal that holds the view's `required_scope`."""

    message = "The credential lacks the required scope."

    def has_permission(self, request, view) -> bool:
        principal = request.auth
        required = getattr(view, "required_scope", None)
        if principal is None or required is None:
            return False
        self.message = f"The credential lacks the scope {required}."
        return principal.has_scope(required)
