"""GET /api/v1/ai/usage and GET /api/v1/ai/inferences: the tenant's own usage and calls, or, for
the platform operator, any tenant's (`tenant=`, audited: melmastoon_ai/tenancy/report_scope.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from capabilities.reporting.selectors import (
    GROUP_KEYS,
    METRICS,
    InferenceFilters,
    TenantFilter,
    inference_page,
    usage_report,
)
from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.pagination import PAGE_PARAMETERS, decode_cursor, encode_cursor, next_url, page_limit
from melmastoon_ai.tenancy.report_scope import ReportScope, report_scope

DEFAULT_DAYS = 30
MAX_DAYS = 400
SCOPE_PARAMETERS = [
    OpenApiParameter(
        "tenant",
        str,
        description="platform operator only (ai:admin of the operator's tenant): a tenant id, or `all`; audited",
    ),
    OpenApiParameter("include_eval", bool, description="with `tenant=all`: include the eval tenant's own traffic"),
]


class UsageCsvRenderer(BaseRenderer):
    """`Accept: text/csv`: the report's rows, one line each, the group keys first. An error still
    answers in the JSON envelope (and says so in its Content-Type)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        is_report = isinstance(data, dict) and {"rows", "group_by"} <= set(data)
        if response is not None and (response.status_code >= 400 or not is_report):  # an error, OPTIONS
            response["Content-Type"] = "application/json"
            return json.dumps(data).encode()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([*data["group_by"], *METRICS])
        for row in data["rows"]:
            writer.writerow([row[key] if row[key] is not None else "" for key in (*data["group_by"], *METRICS)])
        return out.getvalue().encode()


def _date(raw: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ApplicationError(f"{name} is a date (YYYY-MM-DD).", details={name: raw[:64]}) from exc


def _moment(raw: str, name: str, *, end: bool) -> dt.datetime:
    """A date or an ISO 8601 date-time (UTC when it names no zone). A bare date as `to` means the
    end of that day."""
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw) + dt.timedelta(days=1 if end else 0)
            return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(raw)
        # in UTC: PostgreSQL refuses offsets Python accepts (beyond ±15:59)
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise ApplicationError(f"{name} is a date or an ISO 8601 date-time.", details={name: raw[:64]}) from exc


def _boolean(raw: str | None, name: str) -> bool | None:
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ApplicationError(f"{name} is true or false.", details={name: raw[:64]})
    return raw == "true"


def _tenants(scope: ReportScope) -> TenantFilter:
    return TenantFilter(tenant_ids=scope.tenant_ids, excluded=scope.excluded_tenant_ids)


def usage_query(params) -> tuple[dt.date, dt.date, list[str]]:
    """(day_from, day_to, group_by) of a usage request; 400 for anything malformed."""
    day_to = _date(params["to"], "to") if "to" in params else timezone.now().date()
    try:
        day_from = _date(params["from"], "from") if "from" in params else day_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError as exc:
        raise ApplicationError("from is needed for so early a to.", details={"to": day_to.isoformat()}) from exc
    if day_from > day_to or (day_to - day_from).days >= MAX_DAYS:
        raise ApplicationError(
            f"from is on or before to, at most {MAX_DAYS} days apart.",
            details={"from": day_from.isoformat(), "to": day_to.isoformat()},
        )
    raw = params.get("group_by", "day")
    group_by = [key.strip() for key in raw.split(",") if key.strip()]
    unknown = [key for key in group_by if key not in GROUP_KEYS]
    if unknown or len(set(group_by)) != len(group_by):
        raise ApplicationError(
            f"group_by is a comma-separated subset of {', '.join(GROUP_KEYS)}.", details={"group_by": raw[:200]}
        )
    return day_from, day_to, group_by


class UsageApi(TenantAPIView):
    required_scope = ("ai:invoke", "ai:admin")
    renderer_classes = [JSONRenderer, UsageCsvRenderer]

    @extend_schema(
        operation_id="usage_report",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=(
                    '`{"from", "to", "group_by", "rows": [{<group keys>, "calls", "tokens_input", "tokens_output", '
                    '"cost_usd", "cache_hits", "degraded", "fallbacks", "latency_p50_ms", "latency_p95_ms", '
                    '"hitl_gates"}]}`; CSV with `Accept: text/csv`'
                ),
            )
        },
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="first day (UTC), default 29 days before `to`"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day (UTC), default today"),
            OpenApiParameter(
                "group_by",
                str,
                description="comma-separated: day, feature, capability, "
                "model, provider (default day); empty for one total row",
            ),
            *SCOPE_PARAMETERS,
        ],
    )
    def get(self, request):
        day_from, day_to, group_by = usage_query(request.query_params)
        scope = report_scope(request, self.principal)
        with scope.reading():
            rows = usage_report(tenants=_tenants(scope), day_from=day_from, day_to=day_to, group_by=group_by)
        body = {"from": day_from.isoformat(), "to": day_to.isoformat(), "group_by": group_by, "rows": rows}
        response = Response(body)
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="usage-{day_from}-{day_to}.csv"'
        return response


def inference_filters(params) -> InferenceFilters:
    return InferenceFilters(
        capability=params.get("capability", ""),
        provider=params.get("provider", ""),
        model=params.get("model", ""),
        feature=params.get("feature", ""),
        degraded=_boolean(params.get("degraded"), "degraded"),
        cache_hit=_boolean(params.get("cache_hit"), "cache_hit"),
        created_from=_moment(params["from"], "from", end=False) if "from" in params else None,
        created_to=_moment(params["to"], "to", end=True) if "to" in params else None,
        subject_ref=params.get("subject_ref", "")[:200],
    )


def _check_position(after: dict) -> None:
    try:
        dt.datetime.fromisoformat(after["created_at"])
        uuid.UUID(after["id"])
    except ValueError as exc:
        raise ApplicationError("The cursor is not one this list returned.") from exc


class InferenceListApi(TenantAPIView):
    required_scope = ("ai:invoke", "ai:admin")

    @extend_schema(
        operation_id="inferences_list",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='`{"results": [summary...], "next": '
                "url or null}`, newest first; each summary links to its record (`url`)",
            )
        },
        parameters=[
            *(OpenApiParameter(name, str) for name in ("capability", "provider", "model", "feature", "subject_ref")),
            OpenApiParameter("degraded", bool),
            OpenApiParameter("cache_hit", bool),
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="a date or date-time, inclusive"),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="exclusive; a bare date includes that whole day"),
            *PAGE_PARAMETERS,
            *SCOPE_PARAMETERS,
        ],
    )
    def get(self, request):
        filters = inference_filters(request.query_params)
        limit = page_limit(request.query_params.get("limit"))
        after = decode_cursor(request.query_params.get("cursor"), ("created_at", "id"))
        if after is not None:
            _check_position(after)
        scope = report_scope(request, self.principal)
        with scope.reading():
            items, last = inference_page(tenants=_tenants(scope), filters=filters, after=after, limit=limit)
        for item in items:
            suffix = f"?tenant={item['tenant_id']}" if scope.cross_tenant else ""
            item["url"] = request.build_absolute_uri(reverse("inference", args=[item["id"]])) + suffix
        return Response({"results": items, "next": next_url(request, encode_cursor(last) if last else None)})
