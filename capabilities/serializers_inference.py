from rest_framework import serializers


class CompletionContextSerializer(serializers.Serializer):
    feature = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    locale = serializers.CharField(max_length=16, required=False, default="en")
    subject_ref = serializers.CharField(max_length=200, required=False, allow_blank=True)
    offline = serializers.BooleanField(required=False, default=False)


class StrictCharField(serializers.CharField):
    """A string, not anything that can be turned into one (42 is not a capability id)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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


class EmbedInputSerializer(serializers.Serializer):
    texts = serializers.ListField(child=serializers.CharField(max_length=8192, allow_blank=True),
                                  min_length=1, max_length=256)


class EmbedOutputSerializer(serializers.Serializer):
    model = serializers.CharField()
    dim = serializers.IntegerField()
    embeddings = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    provenance = serializers.DictField()


class ModerateInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000, allow_blank=True, trim_whitespace=False)
    locale = serializers.CharField(max_length=16, required=False, default="en")


class ModerateOutputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["allow", "block"])
    categories = serializers.DictField()
    provenance = serializers.DictField()
