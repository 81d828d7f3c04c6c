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
        accepted = required if isinstance(required, tuple) else (required,)  # a tuple: any one of them
        self.message = f"The credential lacks the scope {' or '.join(accepted)}."
        return any(principal.has_scope(scope) for scope in accepted)


class OperatorTenantRequired(BasePermission):
    """Platform-wide administration (the prompt registry, evals, edge manifests) is for the
    platform operator's own credentials: a hotel's ai:admin key administers only its hotel."""

    message = "Platform-wide administration needs a credential of the platform operator's tenant."

    def has_permission(self, request, view) -> bool:
        principal = request.auth
        return principal is not None and bool(getattr(principal.tenant, "operator", False))
