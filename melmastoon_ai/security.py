"""Content-Security-Policy on every response (the reviewer pages, the admin, /api/docs/).

The policy allows scripts and styles only from our own origin's static files: no inline script
and no inline style anywhere, so an injected `<script>` or `onerror=` does not run even if an
escape were ever missed. A view that needs another policy sets the header itself.
"""

from __future__ import annotations

from django.conf import settings

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response
