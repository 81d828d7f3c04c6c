from rest_framework import serializers

from melmastoon_ai.fields import StrictBooleanField, StrictCharField


class CompletionContextSerializer(serializers.Serializer):
    feature = StrictCharField(max_length=64, required=False, allow_blank=True, default="", trim_whitespace=False)
    locale = StrictCharField(max_length=16, required=False, default="en", trim_whitespace=False)
    subject_ref = StrictCharField(max_length=200, required=False, allow_blank=True, trim_whitespace=False)
    offline = StrictBooleanField(required=False, default=False)


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


class CompletionInputSerializer(serializers.Serializer):
    capability = StrictCharField(max_length=64)
    input = serializers.DictField(help_text="valid against the capability's input_schema")
    context = CompletionContextSerializer(required=False)
    stream = StrictBooleanField(
        required=False, default=False, help_text="stream Server-Sent Events (as `Accept: text/event-stream` does)"
    )

    def validate_input(self, value: dict) -> dict:
        # PostgreSQL cannot store U+0000 in text or jsonb; refuse it up front rather than fail later.
        if _contains_nul(value):
            raise serializers.ValidationError("NUL characters (U+0000) are not accepted in input.")
        return value


class HitlSerializer(serializers.Serializer):
    gate_id = serializers.UUIDField()
    status = serializers.CharField()
    reason = serializers.CharField()
    sla_due_at = serializers.DateTimeField()


class CompletionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    capability = serializers.CharField()
    output = serializers.DictField()
    degraded = serializers.BooleanField()
    hitl = HitlSerializer(allow_null=True)
    provenance = serializers.DictField()


class InferenceDetailSerializer(CompletionOutputSerializer):
    """GET /api/v1/ai/inferences/{id} of a stored answer."""

    status = serializers.ChoiceField(choices=["completed"])


class AsyncInferenceSerializer(serializers.Serializer):
    """`Prefer: respond-async`: the 202 answer, and GET /api/v1/ai/inferences/{id} until a record exists."""

    id = serializers.UUIDField()
    capability = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "failed"])
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(required=False)
    error = serializers.DictField(
        required=False, help_text="a failed request: the error envelope's code, message, details"
    )


class EmbedInputSerializer(serializers.Serializer):
    # 64 x 2,048 characters stays under the 1 MiB body limit even in 4-byte UTF-8.
    texts = serializers.ListField(child=StrictCharField(max_length=2048, allow_blank=True), min_length=1, max_length=64)
    context = CompletionContextSerializer(
        required=False, help_text="`feature` names the budget and rate limit bucket (default `embed`)"
    )


class EmbedOutputSerializer(serializers.Serializer):
    model = serializers.CharField()
    dim = serializers.IntegerField()
    embeddings = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    provenance = serializers.DictField()


class ModerateInputSerializer(serializers.Serializer):
    text = StrictCharField(max_length=100_000, allow_blank=True, trim_whitespace=False)
    locale = StrictCharField(max_length=16, required=False, default="en", trim_whitespace=False)
    context = CompletionContextSerializer(
        required=False, help_text="`feature` names the rate limit bucket (default `moderate`)"
    )


class ModerateOutputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["allow", "block"])
    categories = serializers.DictField(
        help_text="category -> {score, flagged, review}: `review` is true in the classifier's review band "
        "(not flagged, likely enough for a human to look)"
    )
    provenance = serializers.DictField()


class ReplayOutputSerializer(serializers.Serializer):
    original_id = serializers.UUIDField()
    replay_id = serializers.UUIDField(help_text="the replay's own inference (GET /inferences/{id})")
    routed_id = serializers.UUIDField(
        help_text="the inference whose route was replayed: the original, or the one a cache hit repeated"
    )
    output_hash_equal = serializers.BooleanField()
    original_output_hash = serializers.CharField()
    replay_output_hash = serializers.CharField()
    diff = serializers.ListField(
        child=serializers.DictField(), help_text="`{path, original, replay}` per differing field"
    )
    trail_diff = serializers.ListField(
        child=serializers.DictField(), help_text="`{field, original, replay}` per trail entry that differed"
    )
    output = serializers.DictField()
    provider = serializers.CharField()
    model = serializers.CharField()
    model_version = serializers.CharField(allow_blank=True)
    cost_usd = serializers.CharField()
    latency_ms = serializers.IntegerField()
