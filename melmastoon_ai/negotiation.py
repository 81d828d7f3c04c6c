"""Content negotiation that treats `?format=` (present, empty) as the unknown format it is.

DRF reads the `format` query parameter only when it is non-empty, so `?format=` silently
served the default renderer, while the schema (drf-spectacular) lists `format` as an enum of
the view's renderers. An empty value now gets the same 404 as `?format=xml`.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation


class StrictFormatNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        param = self.settings.URL_FORMAT_OVERRIDE
        if format_suffix is None and param and request.query_params.get(param, None) == "":
            raise Http404(f"No renderer for an empty {param!r} parameter.")
        return super().select_renderer(request, renderers, format_suffix)
