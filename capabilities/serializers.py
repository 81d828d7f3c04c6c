from rest_framework import serializers


class CapabilitySummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.CharField()
    description = serializers.CharField()
    hitl = serializers.CharField(source="hitl_rule")
    cost_class = serializers.CharField()
    latency_target_ms = serializers.IntegerField()
    cache_ttl_seconds = serializers.IntegerField()
    output_type = serializers.CharField()
    phase = serializers.IntegerField()
    prompt = serializers.CharField(source="prompt_key", allow_null=True)
    default_model = serializers.CharField()
    fallback_chain = serializers.ListField(child=serializers.CharField())
    eval_suite = serializers.CharField(source="eval_suite_key")
    stream_field = serializers.CharField(help_text="the output field streamed as Server-Sent Events; empty: none")
    chat_compatible = serializers.BooleanField(help_text="callable as a model of /v1/chat/completions")


class CapabilityDetailSerializer(CapabilitySummarySerializer):
    input_schema = serializers.JSONField()
    output_schema = serializers.JSONField()
    examples = serializers.ListField(child=serializers.JSONField())
    offline_model = serializers.CharField(allow_null=True)
    allowed_providers = serializers.ListField(child=serializers.CharField())
