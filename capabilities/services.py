"""Writes of the catalog: validated capability changes and the idempotent seed."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from capabilities.catalog_seed import CAPABILITIES
from capabilities.hitl_rules import InvalidHitlRule, parse_hitl_rule
from capabilities.models import Capability
from capabilities.schemas import load_definition
from evals.models import EvalSuite
from melmastoon_ai.errors import ApplicationError, NotFound
from prompts.models import Prompt
from prompts.services import prompt_version_seed
from routing.catalog_seed import MODELS, PROVIDERS
from routing.models import Model, Provider

PROMPT_SEED = Path(__file__).resolve().parents[1] / "prompts" / "seed" / "prompts.json"
DETERMINISTIC = "deterministic"
SCHEMA_FIELDS = ("input_schema", "output_schema")


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def check_capability_definition(*, default_model: str, fallback_chain: list[str], hitl_rule: str,
                                input_schema: dict, output_schema: dict, examples: list,
                                allowed_providers: list[str]) -> None:
    """Refuse a catalog row the pipeline could not serve: every problem in one error."""
    problems: list[str] = []
    if not fallback_chain or fallback_chain[-1] != DETERMINISTIC:
        problems.append("the fallback chain must end in 'deterministic'")
    names = {default_model, *fallback_chain}
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
        raise ApplicationError("Changing a schema needs a higher capability version.",
                               code="conflict", status=409, details={"current_version": capability.version})
    for field, value in changes.items():
        setattr(capability, field, value)
    check_capability_definition(
        default_model=capability.default_model.name, fallback_chain=list(capability.fallback_chain),
        hitl_rule=capability.hitl_rule, input_schema=capability.input_schema,
        output_schema=capability.output_schema, examples=capability.examples,
        allowed_providers=list(capability.allowed_providers),
    )
    capability.full_clean()
    capability.save()
    return capability


def _seed_models() -> None:
    for row in PROVIDERS:
        Provider.objects.update_or_create(kind=row["kind"], defaults=row)
    providers = {provider.kind: provider for provider in Provider.objects.all()}
    for row in MODELS:
        defaults = {key: value for key, value in row.items() if key not in ("name", "provider")}
        Model.objects.update_or_create(name=row["name"], defaults=defaults | {"provider": providers[row["provider"]]})


def _seed_prompts() -> dict[str, Prompt]:
    prompts = {}
    for row in json.loads(PROMPT_SEED.read_text(encoding="utf-8")):
        prompt, _ = Prompt.objects.get_or_create(
            key=row["key"], defaults={"domain": row["domain"], "description": row.get("description", "")}
        )
        prompt_version_seed(prompt=prompt, version=row["version"], system_template=row["system_template"],
                            user_template=row["user_template"], variables=row["variables"],
                            model_parameters=row.get("model_parameters", {}))
        prompts[prompt.key] = prompt
    return prompts


def _seed_capability(row: dict, prompts: dict[str, Prompt], models: dict[str, Model]) -> None:
    definition = load_definition(row["id"])
    check_capability_definition(
        default_model=row["default_model"], fallback_chain=row["fallback_chain"], hitl_rule=row["hitl_rule"],
        input_schema=definition["input_schema"], output_schema=definition["output_schema"],
        examples=definition["examples"], allowed_providers=row["allowed_providers"],
    )
    fields = {
        key: row[key] for key in (
            "description", "fallback_chain", "auxiliary_models", "hitl_rule", "latency_target_ms", "cost_class",
            "cache_ttl_seconds", "allowed_providers", "output_type", "eval_suite_key", "max_output_tokens",
            "uses_rag", "phase",
        )
    }
    fields |= {
        "prompt": prompts.get(row["prompt"]) if row["prompt"] else None,
        "default_model": models[row["default_model"]],
        "offline_model": models[row["offline_model"]] if row["offline_model"] else None,
        "input_schema": definition["input_schema"], "output_schema": definition["output_schema"],
        "examples": definition["examples"],
    }
    capability = Capability.objects.filter(pk=row["id"]).first()
    if capability is None:
        Capability.objects.create(id=row["id"], version="1.0.0", **fields)
    else:
        changed = {key for key, value in fields.items() if getattr(capability, key) != value}
        if changed:
            for key in changed:
                setattr(capability, key, fields[key])
            if changed & set(SCHEMA_FIELDS):  # schemas are versioned with the capability
                major, minor, _ = _semver(capability.version)
                capability.version = f"{major}.{minor + 1}.0"
            capability.save()
    EvalSuite.objects.get_or_create(key=row["eval_suite_key"], defaults={"capability_id": row["id"]})


@transaction.atomic
def catalog_seed() -> dict[str, int]:
    """Load providers, models, prompts and the 15 capabilities; running it again changes nothing."""
    _seed_models()
    prompts = _seed_prompts()
    models = {model.name: model for model in Model.objects.all()}
    before = Capability.objects.count()
    for row in CAPABILITIES:
        _seed_capability(row, prompts, models)
    return {"providers": Provider.objects.count(), "models": len(models), "prompts": len(prompts),
            "capabilities": Capability.objects.count(), "created": Capability.objects.count() - before}
