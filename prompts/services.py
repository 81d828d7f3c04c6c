"""The prompt lifecycle: draft > active > deprecated > retired, canaries, gated promotion.

Only these functions change a version's status; the database refuses any other transition
(a trigger, migration 0002) and keeps released text immutable.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import transaction
from django.utils import timezone

from melmastoon_ai.errors import ApplicationError, NotFound
from prompts.models import PROMPT_KEY, SEMVER, Prompt, PromptVersion
from prompts.rendering import PromptRenderError, check_templates

Status = PromptVersion.Status


class LifecycleRefused(ApplicationError):
    status = 409
    code = "lifecycle_refused"


def _semver(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def _matches(validator: RegexValidator, text: str) -> bool:
    """The whole text: a validator's `$` also matches before a trailing newline."""
    return isinstance(text, str) and validator.regex.fullmatch(text) is not None


def prompt_create(*, key: str, domain: str, description: str = "") -> Prompt:
    if not _matches(PROMPT_KEY, key):
        raise ApplicationError(f"{key!r} is not a prompt key (PRMP_<DOMAIN>_<NNN>)")
    prompt, created = Prompt.objects.get_or_create(key=key, defaults={"domain": domain, "description": description})
    if not created:
        raise ApplicationError(f"prompt {key} already exists", code="conflict", status=409)
    return prompt


def _locked_prompt(key: str) -> Prompt:
    prompt = Prompt.objects.select_for_update().filter(key=key).first()
    if prompt is None:
        raise NotFound(f"no prompt {key}")
    return prompt


def locked_version(version_id: int) -> PromptVersion:
    """The version, with its prompt's row locked: lifecycle changes are serialised per prompt
    (also for callers inside their own transaction: the promotion gate)."""
    version = PromptVersion.objects.select_related("prompt").filter(pk=version_id).first()
    if version is None:
        raise NotFound("no such prompt version")
    _locked_prompt(version.prompt.key)  # serialise lifecycle changes per prompt
    return PromptVersion.objects.select_related("prompt").get(pk=version_id)


def check_new_draft(
    *,
    prompt: Prompt,
    version: str,
    system_template: str,
    user_template: str,
    variables: list[str],
    replacing: PromptVersion | None = None,
) -> None:
    """A draft's version and templates; `replacing` is the draft being edited (admin), if any."""
    if not _matches(SEMVER, version):
        raise ApplicationError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    try:
        check_templates(system_template=system_template, user_template=user_template, variables=variables)
    except PromptRenderError as exc:
        raise ApplicationError(str(exc), details={"field": "templates"}) from exc
    others = prompt.versions.exclude(pk=replacing.pk) if replacing is not None else prompt.versions.all()
    existing = [_semver(v) for v in others.values_list("version", flat=True)]
    if existing and _semver(version) <= max(existing):
        raise ApplicationError(
            f"version {version} must be greater than {'.'.join(map(str, max(existing)))}", code="conflict", status=409
        )


def draft_is_editable(version: PromptVersion) -> bool:
    """A draft's text may change until it is evaluated or served as a canary. After that an edit
    would promote text the gate never saw (runs name the version, not its text): make a new version."""
    return version.status == Status.DRAFT and version.canary_percent is None and not version.eval_runs.exists()


@transaction.atomic
def prompt_version_create_draft(
    *,
    prompt_key: str,
    version: str,
    system_template: str,
    user_template: str,
    variables: list[str],
    model_parameters: dict | None = None,
) -> PromptVersion:
    prompt = _locked_prompt(prompt_key)
    check_new_draft(
        prompt=prompt,
        version=version,
        system_template=system_template,
        user_template=user_template,
        variables=variables,
    )
    return PromptVersion.objects.create(
        prompt=prompt,
        version=version,
        system_template=system_template,
        user_template=user_template,
        variables=sorted(set(variables)),
        model_parameters=model_parameters or {},
    )


@transaction.atomic
def prompt_version_start_canary(*, version_id: int, percent: int = 5) -> PromptVersion:
    version = locked_version(version_id)
    if version.status != Status.DRAFT:
        raise LifecycleRefused(f"only a draft can run as a canary; {version.label} is {version.status}")
    if not 1 <= percent <= 50:
        raise ApplicationError("canary percent must be between 1 and 50")
    running = version.prompt.versions.filter(canary_percent__isnull=False).exclude(pk=version.pk).first()
    if running is not None:
        raise LifecycleRefused(f"{running.label} is already the canary of {version.prompt.key}; stop it first")
    version.canary_percent = percent
    version.canary_started_at = timezone.now()
    version.save(update_fields=["canary_percent", "canary_started_at"])
    return version


@transaction.atomic
def prompt_version_stop_canary(*, version_id: int) -> PromptVersion:
    version = locked_version(version_id)
    if version.canary_percent is None:
        raise LifecycleRefused(f"{version.label} is not running as a canary")
    # canary_started_at stays: a stopped canary has not served its review, so promotion is
    # refused until it is restarted (which starts a full review period again).
    version.canary_percent = None
    version.save(update_fields=["canary_percent"])
    return version


@dataclass
class LifecycleCheck:
    """What the lifecycle rules say of a version becoming active: its status, then its canary."""

    status: str | None = None  # why its status forbids it, if it does
    canary: list[str] = field(default_factory=list)  # why its canary does not allow it yet

    @property
    def reasons(self) -> list[str]:
        return ([self.status] if self.status else []) + self.canary


def check_lifecycle(version: PromptVersion, *, now: dt.datetime | None = None) -> LifecycleCheck:
    """The lifecycle rules (status, canary and its review period) for making a version active.
    Evaluation evidence is the promotion gate's business (evals.services.promotion), which
    drives `prompt_version_activate`."""
    check = LifecycleCheck()
    active = active_version_other_than(version)
    if version.status not in (Status.DRAFT, Status.DEPRECATED):
        check.status = f"{version.label} is {version.status}; only a draft or deprecated version can be promoted"
    # A canary shares traffic with the active version; a prompt's first version has none to
    # share, so only a successor must have served one.
    if (
        settings.PROMPT_PROMOTION_REQUIRES_CANARY
        and active is not None
        and version.status == Status.DRAFT
        and version.canary_started_at is None
    ):
        check.canary.append("it has not run as a canary; start a canary and let it serve its review period")
    if version.canary_started_at is not None and version.canary_percent is None:
        check.canary.append("its canary was stopped before the review period ended; restart the canary")
    elif version.canary_started_at is not None:
        review = dt.timedelta(days=settings.PROMPT_CANARY_REVIEW_DAYS)
        elapsed = (now or timezone.now()) - version.canary_started_at
        if elapsed < review:
            check.canary.append(f"canary review period not over: {elapsed.days} of {review.days} days served")
    return check


def active_version_other_than(version: PromptVersion) -> PromptVersion | None:
    return version.prompt.versions.filter(status=Status.ACTIVE).exclude(pk=version.pk).first()


@transaction.atomic
def prompt_version_activate(*, version_id: int, now: dt.datetime | None = None) -> PromptVersion:
    """The plain lifecycle primitive: make a version the active one (the previous active version
    becomes deprecated), if the lifecycle rules allow it. It knows nothing of evaluations: callers
    that need evidence (evals' `prompt_version_promote`) check it first, in the same transaction."""
    version = locked_version(version_id)
    reasons = check_lifecycle(version, now=now).reasons
    if reasons:
        raise LifecycleRefused(f"{version.label} cannot be promoted", details={"reasons": reasons})
    moment = now or timezone.now()
    for previous in version.prompt.versions.filter(status=Status.ACTIVE):  # saved one by one: history records it
        previous.status, previous.deprecated_at = Status.DEPRECATED, moment
        previous.save(update_fields=["status", "deprecated_at"])
    version.status = Status.ACTIVE
    version.activated_at = moment
    version.deprecated_at = None  # a rollback: the version is current again
    version.canary_percent = None
    version.save(update_fields=["status", "activated_at", "deprecated_at", "canary_percent"])
    return version


@transaction.atomic
def prompt_version_deprecate(*, version_id: int) -> PromptVersion:
    version = locked_version(version_id)
    if version.status != Status.ACTIVE:
        raise LifecycleRefused(f"only the active version can be deprecated; {version.label} is {version.status}")
    version.status = Status.DEPRECATED
    version.deprecated_at = timezone.now()
    version.save(update_fields=["status", "deprecated_at"])
    return version


@transaction.atomic
def prompt_version_retire(*, version_id: int) -> PromptVersion:
    version = locked_version(version_id)
    if version.status not in (Status.DRAFT, Status.DEPRECATED):
        raise LifecycleRefused(
            f"{version.label} is {version.status}; only a draft or deprecated version can be retired"
        )
    version.status = Status.RETIRED
    version.retired_at = timezone.now()
    version.canary_percent = None
    version.save(update_fields=["status", "retired_at", "canary_percent"])
    return version


def prompt_version_seed(
    *,
    prompt: Prompt,
    version: str,
    system_template: str,
    user_template: str,
    variables: list[str],
    model_parameters: dict,
) -> PromptVersion:
    """Bootstrap only (seed_catalog on an empty registry): the seed's versions are the ones in
    production today, so they start active when the prompt has no active version yet."""
    check_templates(system_template=system_template, user_template=user_template, variables=variables)
    found = prompt.versions.filter(version=version).first()
    if found is not None:
        return found
    status = Status.DRAFT if prompt.versions.filter(status=Status.ACTIVE).exists() else Status.ACTIVE
    return PromptVersion.objects.create(
        prompt=prompt,
        version=version,
        system_template=system_template,
        user_template=user_template,
        variables=sorted(set(variables)),
        model_parameters=model_parameters,
        status=status,
        activated_at=timezone.now() if status == Status.ACTIVE else None,
    )


PROMPT_SEED = Path(__file__).resolve().parent / "seed" / "prompts.json"


@transaction.atomic
def prompts_seed() -> dict[str, Prompt]:
    """The registry's own seed (prompts/seed/prompts.json), by key; idempotent."""
    prompts = {}
    for row in json.loads(PROMPT_SEED.read_text(encoding="utf-8")):
        prompt, _ = Prompt.objects.get_or_create(
            key=row["key"], defaults={"domain": row["domain"], "description": row.get("description", "")}
        )
        prompt_version_seed(
            prompt=prompt,
            version=row["version"],
            system_template=row["system_template"],
            user_template=row["user_template"],
            variables=row["variables"],
            model_parameters=row.get("model_parameters", {}),
        )
        prompts[prompt.key] = prompt
    return prompts
