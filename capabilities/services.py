"""Writes of the catalog: validated capability changes and the idempotent seed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Q
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from capabilities.catalog_seed import CAPABILITIES
from capabilities.hashing import sha256_of
from capabilities.hitl_rules import InvalidHitlRule, parse_hitl_rule
from capabilities.models import Capability
from capabilities.schemas import load_definition
from melmastoon_ai.errors import ApplicationError, NotFound
from prompts.models import Prompt
from prompts.services import prompts_seed
from routing.models import Model, Provider
from routing.services import routing_seed

DETERMINISTIC = "deterministic"
SCHEMA_FIELDS = ("input_schema", "output_schema")


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def check_capability_definition(
    *,
    default_model: str,
    fallback_chain: list[str],
    hitl_rule: str,
    input_schema: dict,
    output_schema: dict,
    examples: list,
    allowed_providers: list[str],
    explanation_chain: Sequence[str] = (),
) -> None:
    """Refuse a catalog row the pipeline could not serve: every problem in one error."""
    problems: list[str] = []
    if not fallback_chain or fallback_chain[-1] != DETERMINISTIC:
        problems.append("the fallback chain must end in 'deterministic'")
    if DETERMINISTIC in explanation_chain:
        problems.append("the explanation chain names models that explain; the first stage has the fallback")
    if len(set(fallback_chain)) != len(fallback_chain) or default_model in fallback_chain:
        problems.append("a model appears twice in the chain")
    names = {default_model, *fallback_chain, *explanation_chain}
    known = set(Model.objects.filter(name__in=names).values_list("name", flat=True))
    if names - known:
        problems.append(f"unknown models: {sorted(names - known)}")
    try:
        parse_hitl_rule(hitl_rule)
    except InvalidHitlRule as exc:
        problems.append(str(exc))
    for name, schema in (("input_schema", input_schema), ("output_schema", output_schema)):
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(f"{name} is not a valid JSON Schema: {exc.message}")
    if not examples:
        problems.append("at least one example input is required")
    elif not problems:
        validator = Draft202012Validator(input_schema)
        for index, example in enumerate(examples):
            if not validator.is_valid(example):
                problems.append(f"example {index} does not validate against input_schema")
    if allowed_providers and DETERMINISTIC not in allowed_providers:
        problems.append("allowed_providers must include 'deterministic'")
    if problems:
        raise ApplicationError("The capability definition is invalid.", details={"problems": problems})


@transaction.atomic
def capability_update(*, capability_id: str, **changes) -> Capability:
    """Change a catalog row; a schema change needs a higher version (schemas are versioned)."""
    capability = Capability.objects.select_for_update().filter(pk=capability_id).first()
    if capability is None:
        raise NotFound(f"no capability {capability_id}")
    schema_changed = any(field in changes and changes[field] != getattr(capability, field) for field in SCHEMA_FIELDS)
    new_version = changes.get("version", capability.version)
    if schema_changed and _semver(new_version) <= _semver(capability.version):
        raise ApplicationError(
            "Changing a schema needs a higher capability version.",
            code="conflict",
            status=409,
            details={"current_version": capability.version},
        )
    for field, value in changes.items():
        setattr(capability, field, value)
    _check_capability(capability, default_model=capability.default_model.name)
    capability.full_clean()
    capability.save()
    return capability


SEEDED_FIELDS = (
    "description",
    "fallback_chain",
    "explanation_chain",
    "auxiliary_models",
    "hitl_rule",
    "latency_target_ms",
    "cost_class",
    "cache_ttl_seconds",
    "allowed_providers",
    "output_type",
    "eval_suite_key",
    "max_output_tokens",
    "uses_rag",
    "phase",
    "stream_field",
    "chat_mapping",
    "prompt",
    "default_model",
    "offline_model",
    "input_schema",
    "output_schema",
    "examples",
)
SEED_REASON = "seed_catalog"


def _comparable(value: object) -> object:
    """A field's value as the seed compares it: a related row by its key."""
    return getattr(value, "pk", value) if isinstance(value, models.Model) else value


def _check_capability(capability: Capability, *, default_model: str) -> None:
    """check_capability_definition on a row as it is about to be saved."""
    check_capability_definition(
        default_model=default_model,
        fallback_chain=list(capability.fallback_chain),
        hitl_rule=capability.hitl_rule,
        input_schema=capability.input_schema,
        output_schema=capability.output_schema,
        examples=capability.examples,
        allowed_providers=list(capability.allowed_providers),
        explanation_chain=list(capability.explanation_chain),
    )


def _digest(value: object) -> str:
    return sha256_of({"value": _comparable(value)})


def _seed_fields(row: dict, prompts: dict[str, Prompt], models_by_name: dict[str, Model]) -> dict:
    definition = load_definition(row["id"])
    check_capability_definition(
        default_model=row["default_model"],
        fallback_chain=row["fallback_chain"],
        hitl_rule=row["hitl_rule"],
        input_schema=definition["input_schema"],
        output_schema=definition["output_schema"],
        examples=definition["examples"],
        allowed_providers=row["allowed_providers"],
        explanation_chain=row["explanation_chain"],
    )
    fields = {key: row[key] for key in SEEDED_FIELDS if key in row}
    return fields | {
        "prompt": prompts.get(row["prompt"]) if row["prompt"] else None,
        "default_model": models_by_name[row["default_model"]],
        "offline_model": models_by_name[row["offline_model"]] if row["offline_model"] else None,
        "input_schema": definition["input_schema"],
        "output_schema": definition["output_schema"],
        "examples": definition["examples"],
    }


def _last_seeded_values(capability: Capability) -> dict[str, str]:
    """Field -> digest of what the seed last wrote. A row from before `seeded` existed: the last
    historical version the seed wrote (no user, no reason or the seed's), since every start re-seeded."""
    if capability.seeded:
        return dict(capability.seeded)
    seeded = (
        capability.history.filter(history_user__isnull=True)
        .filter(Q(history_change_reason__isnull=True) | Q(history_change_reason=SEED_REASON))
        .order_by("-history_date")
        .first()
    )
    if seeded is None:
        return {}
    return {key: _digest(getattr(seeded, f"{key}_id" if key in RELATED_FIELDS else key)) for key in SEEDED_FIELDS}


RELATED_FIELDS = ("prompt", "default_model", "offline_model")


@dataclass(frozen=True)
class Drift:
    """A field an operator changed away from the seed: the seed's value is not applied."""

    capability: str
    field: str
    current: object
    seed: object

    def as_dict(self) -> dict:
        return {"capability": self.capability, "field": self.field, "current": self.current, "seed": self.seed}


def _seed_capability(row: dict, prompts: dict[str, Prompt], models_by_name: dict[str, Model]) -> list[Drift]:
    """Create a missing row; on an existing one apply the seed's new values only to the fields an
    operator has not changed since the seed last wrote them, and report the others as drift."""
    fields = _seed_fields(row, prompts, models_by_name)
    digests = {key: _digest(value) for key, value in fields.items()}
    capability = Capability.objects.filter(pk=row["id"]).first()
    if capability is None:
        capability = Capability(id=row["id"], version="1.0.0", seeded=digests, **fields)
        _save(capability, SEED_REASON)
        return []
    last_seeded = _last_seeded_values(capability)
    drift, changed = [], set()
    for key, value in fields.items():
        current = getattr(capability, key)
        if _digest(current) == digests[key]:
            continue
        if key in last_seeded and _digest(current) != last_seeded[key]:
            drift.append(Drift(row["id"], key, _shown(current), _shown(value)))
            digests[key] = last_seeded[key]  # still the operator's: keep watching from the same baseline
            continue
        setattr(capability, key, value)
        changed.add(key)
    if changed & set(SCHEMA_FIELDS):  # schemas are versioned with the capability
        major, minor, _ = _semver(capability.version)
        capability.version = f"{major}.{minor + 1}.0"
    if changed or capability.seeded != digests:
        capability.seeded = digests
        _save(capability, SEED_REASON)
    return drift


def _shown(value: object) -> object:
    """A value as a drift report shows it: a related row by name, a schema by its title."""
    if isinstance(value, Model):
        return value.name
    if isinstance(value, Prompt):
        return value.key
    if isinstance(value, dict) and "title" in value:
        return f"<schema {value['title']}>"
    return value


@transaction.atomic
def catalog_seed() -> dict:
    """Load providers, models, prompts and the 15 capabilities; running it again changes nothing.
    Each app seeds its own rows, in layer order: routing (providers, models), prompts, then the
    capabilities that name them. The eval suites are evals' (`seed_evals`). What operators changed
    stays as they left it: `drift` lists those fields with the seed's value beside theirs."""
    routing_seed()
    prompts = prompts_seed()
    models_by_name = {model.name: model for model in Model.objects.all()}
    before = Capability.objects.count()
    drift = [item for row in CAPABILITIES for item in _seed_capability(row, prompts, models_by_name)]
    return {
        "providers": Provider.objects.count(),
        "models": len(models_by_name),
        "prompts": len(prompts),
        "capabilities": Capability.objects.count(),
        "created": Capability.objects.count() - before,
        "drift": [item.as_dict() for item in drift],
    }


def chain_ending_in_fallback(names: list[str]) -> list[str]:
    """A chain as an operator gives it, with the deterministic fallback added at the end when it is not there."""
    names = [name.strip() for name in names if name.strip()]
    return names if names and names[-1] == DETERMINISTIC else [*names, DETERMINISTIC]


@transaction.atomic
def capability_route_set(
    *,
    capability_id: str,
    default_model: str,
    fallback_chain: list[str],
    explanation_chain: list[str] | None = None,
    actor: str,
    reason: str = "",
) -> Capability:
    """An operator's change of a capability's route: the default model and the chains. Validated as
    a catalog row; recorded in the capability's history with who and why; the seed keeps it."""
    capability = Capability.objects.select_for_update().filter(pk=capability_id).first()
    if capability is None:
        raise NotFound(f"no capability {capability_id}")
    model = Model.objects.filter(name=default_model).first()
    if model is None:
        raise ApplicationError(
            "The capability definition is invalid.", details={"problems": [f"unknown models: [{default_model!r}]"]}
        )
    capability.default_model = model
    capability.fallback_chain = list(fallback_chain)
    if explanation_chain is not None:
        capability.explanation_chain = list(explanation_chain)
    _check_capability(capability, default_model=default_model)
    _save(capability, f"route by {actor}: {reason}".strip().rstrip(":")[:100])
    return capability


def _save(capability: Capability, reason: str) -> None:
    """Save with the reason django-simple-history records in the capability's history."""
    setattr(capability, "_change_reason", reason)  # noqa: B010  (simple-history reads this attribute)
    capability.save()


def capability_route_history(*, capability_id: str, limit: int = 50) -> list[dict]:
    """The capability's route as each historical version had it, newest first."""
    if not Capability.objects.filter(pk=capability_id).exists():
        raise NotFound(f"no capability {capability_id}")
    rows = (
        Capability.history.filter(id=capability_id)
        .select_related("default_model", "history_user")
        .order_by("-history_date")[:limit]
    )
    return [
        {
            "at": row.history_date,
            "change": {"+": "created", "~": "changed", "-": "deleted"}[row.history_type],
            "by": row.history_user.get_username() if row.history_user else "",
            "reason": row.history_change_reason or "",
            "default_model": row.default_model.name,
            "fallback_chain": list(row.fallback_chain),
            "explanation_chain": list(row.explanation_chain),
        }
        for row in rows
    ]
