from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from budgets.models import Budget
from budgets.selectors import budget_overview
from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.fields import StrictBooleanField, StrictCharField, StrictIntegerField


class BudgetOverviewSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    feature = serializers.CharField(allow_null=True)
    period = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    enabled = serializers.BooleanField()
    token_limit = serializers.IntegerField(allow_null=True)
    cost_limit_usd = serializers.DecimalField(max_digits=14, decimal_places=6, allow_null=True)
    soft_cap_pct = serializers.IntegerField()
    hard_cap_pct = serializers.IntegerField()
    used_tokens = serializers.IntegerField()
    reserved_tokens = serializers.IntegerField()
    used_cost_usd = serializers.CharField()
    reserved_cost_usd = serializers.CharField()
    soft_cap_reached = serializers.BooleanField()
    hard_cap_reached = serializers.BooleanField()


class BudgetListApi(TenantAPIView):
    required_scope = "ai:invoke"

    @extend_schema(responses=BudgetOverviewSerializer(many=True), operation_id="budgets_list")
    def get(self, request):
        return Response(BudgetOverviewSerializer(budget_overview(tenant_id=self.principal.tenant_id), many=True).data)


class BudgetSetInputSerializer(serializers.Serializer):
    feature = StrictCharField(max_length=64, required=False, allow_blank=True, default="", trim_whitespace=False)
    period = serializers.ChoiceField(choices=Budget.Period.choices, default=Budget.Period.MONTHLY)
    token_limit = StrictIntegerField(min_value=0, required=False, allow_null=True, default=None)
    cost_limit_usd = serializers.DecimalField(
        max_digits=14,
        decimal_places=6,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=False,
    )
    soft_cap_pct = StrictIntegerField(min_value=1, max_value=100, default=80)
    hard_cap_pct = StrictIntegerField(min_value=1, max_value=100, default=100)
    enabled = StrictBooleanField(required=False, default=True)


class BudgetAdminApi(TenantAPIView):
    """Create or replace the caller's tenant budget for a feature (or the whole tenant)."""

    required_scope = "ai:admin"

    @extend_schema(
        request=BudgetSetInputSerializer,
        responses={200: BudgetOverviewSerializer(many=True)},
        operation_id="budgets_set",
    )
    def put(self, request):
        data = BudgetSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if values["soft_cap_pct"] > values["hard_cap_pct"]:
            raise ApplicationError("soft_cap_pct must not exceed hard_cap_pct.")
        feature = values.pop("feature")
        budget = Budget.objects.filter(tenant_id=self.principal.tenant_id, feature=feature).first()
        if budget is None:
            Budget.objects.create(tenant_id=self.principal.tenant_id, feature=feature, **values)
        else:
            for name, value in values.items():
                setattr(budget, name, value)
            budget.save()
        rows = budget_overview(tenant_id=self.principal.tenant_id)
        return Response(BudgetOverviewSerializer(rows, many=True).data, status=status.HTTP_200_OK)
