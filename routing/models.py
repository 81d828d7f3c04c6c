from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from melmastoon_ai.history import history_user


class CostClass(models.TextChoices):
    FREE = "free"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Provider(models.Model):
    """A kind of model provider. Its adapter lives in routing/providers/<kind>/."""

    class Kind(models.TextChoices):
        VERTEX = "vertex", "Vertex AI"
        ANTHROPIC = "anthropic", "Anthropic"
        OPENAI = "openai", "OpenAI"
        SELF_HOSTED = "self_hosted", "Self-hosted (OpenAI-compatible)"
        EDGE = "edge", "Edge (ONNX Runtime)"
        DETERMINISTIC = "deterministic", "Deterministic fallback"
        IN_PROCESS = "in_process", "In-process solvers and tabular models"
        DOCUMENT_AI = "documentai", "Document AI"
        SPEECH = "speech", "Speech-to-Text"
        TRANSLATION = "translation", "Cloud Translation"
        VISION = "vision", "Cloud Vision"

    kind = models.CharField(max_length=32, choices=Kind.choices, unique=True)
    display_name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    data_regions = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        help_text="Where this provider processes data, e.g. europe-west1, us",
    )
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.display_name


class Model(models.Model):
    class Modality(models.TextChoices):
        TEXT = "text"
        MULTIMODAL = "multimodal"
        EMBEDDING = "embedding"
        TABULAR = "tabular"
        VISION = "vision"
        SPEECH = "speech"
        DOCUMENT = "document"
        RULES = "rules"

    class LatencyClass(models.TextChoices):
        REALTIME = "realtime", "< 500 ms"
        INTERACTIVE = "interactive", "< 2 s"
        SLOW = "slow", "seconds"
        BATCH = "batch", "minutes or more"

    class PriceUnit(models.TextChoices):
        TOKEN = "token", "per million tokens"
        CHARACTER = "character", "per million characters"
        PAGE = "page", "per million pages"
        MINUTE = "minute", "per million minutes"

    name = models.CharField(max_length=100, unique=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="models")
    modality = models.CharField(max_length=16, choices=Modality.choices)
    context_window = models.PositiveIntegerField(default=0, help_text="tokens; 0 where it does not apply")
    cost_class = models.CharField(max_length=8, choices=CostClass.choices)
    latency_class = models.CharField(max_length=16, choices=LatencyClass.choices)
    price_unit = models.CharField(max_length=16, choices=PriceUnit.choices, default=PriceUnit.TOKEN)
    input_price_per_million = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    output_price_per_million = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    price_as_of = models.DateField(null=True, blank=True, help_text="when the list price was taken")
    price_source = models.CharField(max_length=300, blank=True)
    regions = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        help_text="regions where it may run; empty means wherever its provider runs",
    )
    enabled = models.BooleanField(default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["provider__kind", "name"]

    def __str__(self) -> str:
        return self.name


class EmbeddingChain(models.Model):
    """The embedding models that answer a use, in order: catalog data like a capability's chain
    (seeded by `routing_seed` when missing, then the operators': edited in the admin, with
    history). Each name is an embedding model of the registry; the last one must run in-process,
    so the chain always answers."""

    class Use(models.TextChoices):
        EMBED = "embed", "POST /api/v1/ai/embed and /v1/embeddings"

    use = models.CharField(max_length=16, choices=Use.choices, unique=True)
    chain = ArrayField(models.CharField(max_length=100), help_text="embedding model names, first tried first")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["use"]

    def __str__(self) -> str:
        return f"{self.use}: {' > '.join(self.chain)}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        known = {
            model.name: model.provider.kind
            for model in Model.objects.select_related("provider").filter(modality=Model.Modality.EMBEDDING)
        }
        unknown = [name for name in self.chain if name not in known]
        if unknown:
            raise ValidationError({"chain": f"not embedding models of the registry: {', '.join(unknown)}"})
        if len(set(self.chain)) != len(self.chain):
            raise ValidationError({"chain": "a model is listed twice"})
        if not self.chain or known[self.chain[-1]] != "deterministic":
            raise ValidationError({"chain": "the chain must end with the in-process deterministic embedder"})


class ModelDeployment(models.Model):
    """A self-hosted, OpenAI-compatible endpoint of a model in one environment (seed 003)."""

    class Environment(models.TextChoices):
        DEVELOPMENT = "development"
        STAGING = "staging"
        PRODUCTION = "production"

    class Status(models.TextChoices):
        READY = "ready"
        DISABLED = "disabled"

    model = models.ForeignKey(Model, on_delete=models.PROTECT, related_name="deployments")
    endpoint_url = models.URLField(max_length=500)
    environment = models.CharField(max_length=16, choices=Environment.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    last_health_status = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["model__name", "environment"]
        constraints = [
            models.UniqueConstraint(fields=["model", "environment"], name="one_deployment_per_model_environment"),
        ]

    def __str__(self) -> str:
        return f"{self.model.name}@{self.environment}"


class RoutingDecision(models.Model):
    """Append-only log of how each request was routed (seed 002): the chain walked and why each
    link answered or not, joined to the request and its trace, the capability and prompt versions,
    the catalog and registry generations it was routed on, the provider-reported model version and
    the generation parameters (the decision trail, capabilities/trail.py). A trigger refuses UPDATE
    and DELETE for every role."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    inference_id = models.UUIDField(db_index=True)
    request_id = models.CharField(max_length=128, blank=True)
    trace_id = models.CharField(max_length=32, blank=True, db_index=True, help_text="W3C trace id, 32 hex")
    capability = models.CharField(max_length=64)
    capability_version = models.CharField(max_length=32, blank=True)
    prompt_key = models.CharField(max_length=64, blank=True)
    prompt_version = models.CharField(max_length=32, blank=True)
    rendered_prompt_hash = models.CharField(max_length=80, blank=True)
    catalog_generation = models.CharField(max_length=80, blank=True, help_text="hash of the catalog entry read")
    registry_generation = models.CharField(max_length=80, blank=True, help_text="hash of the chain's model rows")
    chain = ArrayField(models.CharField(max_length=100))
    attempts = models.JSONField()
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=100)
    model_version = models.CharField(max_length=200, blank=True, help_text="as the provider reported it")
    parameters = models.JSONField(default=dict, help_text="temperature, max_output_tokens, seed")
    retrieval_ids = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    guardrail_versions = models.JSONField(default=dict)
    replay_of = models.UUIDField(null=True, blank=True, help_text="the inference this one replayed")
    decision_ms = models.FloatField(help_text="time spent routing, excluding provider calls")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="routing_decision_recent_idx")]

    def __str__(self) -> str:
        return f"{self.capability} -> {self.provider}/{self.model}"
