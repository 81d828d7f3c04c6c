"""The model registry: `manage.py registry ...` for self-hosted deployments per environment, and the
cached reads the router uses (`deployment_for`, `model_catalog`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from melmastoon_ai.errors import ApplicationError, NotFound
from routing.models import Model, ModelDeployment, Provider
from routing.selectors import REGISTRY_CACHE, deployment_for, model_catalog, model_get
from routing.services import deployment_register, deployment_set_status

pytestmark = pytest.mark.django_db

URL = "http://vllm-llama.internal:8000/v1"


def registry(*args: str) -> str:
    out = StringIO()
    call_command("registry", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def self_hosted(db):
    provider, _ = Provider.objects.get_or_create(
        kind=Provider.Kind.SELF_HOSTED, defaults={"display_name": "Self-hosted"}
    )
    return provider


@pytest.fixture
def llama(self_hosted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registry("register", "llama-3-8b", URL, "--environment", "staging", "--context-window", "8192", "--create")
    return ModelDeployment.objects.get(model__name="llama-3-8b", environment="staging")


# --- register -----------------------------------------------------------------------------------


def test_register_creates_a_self_hosted_model_when_the_catalog_lacks_it(self_hosted):
    assert registry("register", "llama-3-8b", URL, "--context-window", "8192", "--create") == (
        "registered llama-3-8b@development\n"
    )
    model = Model.objects.get(name="llama-3-8b")
    assert (model.provider, model.modality, model.context_window, model.cost_class) == (
        self_hosted,
        "text",
        8192,
        "free",
    )
    deployment = model.deployments.get()
    assert (deployment.endpoint_url, deployment.environment, deployment.status) == (URL, "development", "ready")


def test_register_refuses_a_model_the_catalog_lacks_unless_create_is_given(catalog):
    with pytest.raises(CommandError, match="no model phi-3-minii in the catalog; check the name, or pass --create"):
        registry("register", "phi-3-minii", URL)  # a typo of phi-3-mini
    assert not Model.objects.filter(name="phi-3-minii").exists()
    assert not ModelDeployment.objects.exists()
    with pytest.raises(CommandError, match=r"context-window.*must be between 0 and 2147483647"):
        registry("register", "llama-3-8b", URL, "--create", "--context-window", str(10**27))


def test_register_uses_a_model_already_in_the_catalog(catalog):
    phi = Model.objects.get(name="phi-3-mini")
    registry("register", "phi-3-mini", "https://phi.internal/v1", "--environment", "production")
    assert Model.objects.filter(name="phi-3-mini").count() == 1
    assert phi.deployments.get().environment == "production"


def test_one_model_may_be_registered_once_per_environment(llama):
    with pytest.raises(CommandError, match="llama-3-8b is already registered in staging"):
        registry("register", "llama-3-8b", "http://other.internal:8000/v1", "--environment", "staging")
    assert ModelDeployment.objects.get(model__name="llama-3-8b", environment="staging").endpoint_url == URL
    registry(
        "register",
        "llama-3-8b",
        "http://llama-3-8b-production.system.svc.cluster.local:8000/v1",
        "--environment",
        "production",
    )
    assert set(ModelDeployment.objects.values_list("environment", flat=True)) == {"staging", "production"}


def test_the_database_refuses_a_duplicate_deployment_without_the_service(llama):
    with pytest.raises(IntegrityError, match="one_deployment_per_model_environment"), transaction.atomic():
        ModelDeployment.objects.create(model=llama.model, endpoint_url=URL, environment="staging")


@pytest.mark.parametrize(
    "args, problem",
    [
        (["register", "llama-3-8b", "ftp://vllm/v1"], "is not an http(s) URL"),
        (["register", "llama-3-8b", "not a url"], "is not an http(s) URL"),
        (["register", "llama-3-8b", URL, "--environment", "moon"], "invalid choice"),
        (["deregister", "llama-3-8b", "--environment", "production"], "no deployment of llama-3-8b in production"),
        (["enable", "nothing-here"], "no deployment of nothing-here in development"),
    ],
)
def test_bad_registry_commands_fail_with_a_clear_error(self_hosted, args, problem):
    with pytest.raises(CommandError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        registry(*args)
    assert not ModelDeployment.objects.exists()


def test_register_needs_the_provider_in_the_catalog(self_hosted):
    with pytest.raises(ApplicationError, match="no provider vllm; run seed_catalog first"):
        deployment_register(
            model_name="llama-3-8b", endpoint_url=URL, environment="staging", provider_kind="vllm", create_model=True
        )
    assert not Model.objects.filter(name="llama-3-8b").exists()


def test_a_model_outside_the_catalog_is_refused_when_creation_is_off(self_hosted):
    with pytest.raises(NotFound, match="no model mystery in the catalog"):
        deployment_register(model_name="mystery", endpoint_url=URL, environment="staging", create_model=False)


# --- enable, disable, deregister, list -----------------------------------------------------------


def test_disable_and_enable_change_the_status(llama):
    assert registry("disable", "llama-3-8b", "--environment", "staging") == "llama-3-8b@staging: disabled\n"
    assert ModelDeployment.objects.get(pk=llama.pk).status == "disabled"
    assert registry("enable", "llama-3-8b", "--environment", "staging") == "llama-3-8b@staging: ready\n"
    assert ModelDeployment.objects.get(pk=llama.pk).status == "ready"


def test_an_unknown_status_is_refused(llama):
    with pytest.raises(ApplicationError, match="status must be one of"):
        deployment_set_status(model_name="llama-3-8b", environment="staging", status="paused")
    assert ModelDeployment.objects.get(pk=llama.pk).status == "ready"


def test_deregister_removes_the_deployment_but_keeps_the_model(llama):
    assert registry("deregister", "llama-3-8b", "--environment", "staging") == "deregistered llama-3-8b@staging\n"
    assert not ModelDeployment.objects.exists()
    assert Model.objects.filter(name="llama-3-8b").exists()


def test_list_shows_every_deployment_and_filters_by_environment(llama):
    registry(
        "register",
        "mistral-7b",
        "http://mistral.system.svc.cluster.local:8000/v1",
        "--environment",
        "production",
        "--create",
    )
    registry("disable", "mistral-7b", "--environment", "production")
    ModelDeployment.objects.filter(pk=llama.pk).update(last_health_status="healthy")
    lines = registry("list").splitlines()
    assert lines[0].split() == ["MODEL", "ENVIRONMENT", "STATUS", "HEALTH", "ENDPOINT"]
    assert [line.split() for line in lines[1:]] == [
        ["llama-3-8b", "staging", "ready", "healthy", URL],
        ["mistral-7b", "production", "disabled", "-", "http://mistral.system.svc.cluster.local:8000/v1"],
    ]
    staging = registry("list", "--environment", "staging").splitlines()
    assert [line.split()[0] for line in staging[1:]] == ["llama-3-8b"]
    assert registry("list", "--environment", "development").splitlines()[1:] == []


# --- cached reads -------------------------------------------------------------------------------


def test_deployment_for_returns_only_a_ready_deployment_of_that_environment(llama, django_capture_on_commit_callbacks):
    spec = deployment_for(model_name="llama-3-8b", environment="staging")
    assert (spec.model, spec.endpoint_url, spec.environment, spec.status) == ("llama-3-8b", URL, "staging", "ready")
    assert deployment_for(model_name="llama-3-8b", environment="production") is None
    assert deployment_for(model_name="unknown", environment="staging") is None
    with django_capture_on_commit_callbacks(execute=True):
        registry("disable", "llama-3-8b", "--environment", "staging")
    assert deployment_for(model_name="llama-3-8b", environment="staging") is None


def test_deployment_reads_are_cached_until_the_change_commits(llama, django_capture_on_commit_callbacks):
    assert deployment_for(model_name="llama-3-8b", environment="staging") is not None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deployment_set_status(model_name="llama-3-8b", environment="staging", status="disabled")
    assert deployment_for(model_name="llama-3-8b", environment="staging") is not None  # cached, not committed
    assert callbacks
    for callback in callbacks:
        callback()
    assert deployment_for(model_name="llama-3-8b", environment="staging") is None


def test_deregistering_invalidates_the_cache_after_commit(llama, django_capture_on_commit_callbacks):
    assert deployment_for(model_name="llama-3-8b", environment="staging") is not None
    with django_capture_on_commit_callbacks(execute=True):
        registry("deregister", "llama-3-8b", "--environment", "staging")
    assert deployment_for(model_name="llama-3-8b", environment="staging") is None


def test_a_new_deployment_is_visible_after_commit(self_hosted, django_capture_on_commit_callbacks):
    assert deployment_for(model_name="qwen-2-7b", environment="production") is None
    with django_capture_on_commit_callbacks(execute=True):
        registry("register", "qwen-2-7b", "https://qwen.internal/v1", "--environment", "production", "--create")
    assert deployment_for(model_name="qwen-2-7b", environment="production").endpoint_url == ("https://qwen.internal/v1")


def test_the_model_catalog_is_cached_and_refreshed_after_commit(catalog, django_capture_on_commit_callbacks):
    flash = model_get(name="gemini-1.5-flash")
    assert (flash.provider, flash.enabled) == ("vertex", True)
    assert len(model_catalog()) == Model.objects.count()
    Model.objects.filter(name="gemini-1.5-flash").update(enabled=False)  # no signal: the cache keeps serving
    assert model_get(name="gemini-1.5-flash").enabled is True
    REGISTRY_CACHE.invalidate()
    assert model_get(name="gemini-1.5-flash").enabled is False
    with django_capture_on_commit_callbacks(execute=True):
        provider = Provider.objects.get(kind="vertex")
        provider.enabled = False
        provider.save()
    assert model_get(name="gemini-1.5-flash").provider_enabled is False


# --- health (seed 003): probed on a beat schedule, unhealthy deployments skipped -------------------


def test_deployments_are_probed_on_a_beat_schedule(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "routing.probe_deployments")
    assert entry["schedule"] == 30
    from melmastoon_ai.celery import app

    app.loader.import_default_modules()
    assert "routing.probe_deployments" in app.tasks


def test_a_probe_records_health_and_the_router_skips_an_unhealthy_deployment(
    catalog, openai_fake, providers_from_settings, django_capture_on_commit_callbacks
):
    from routing.providers.registry import adapter_for
    from routing.router import route
    from routing.tasks import probe_deployments
    from tests.routing.test_router import plan

    with django_capture_on_commit_callbacks(execute=True):
        deployment_register(
            model_name="phi-3-mini", endpoint_url=f"{openai_fake.base_url}/v1", environment="development"
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert probe_deployments() == {"phi-3-mini@development": "healthy"}
    deployment = ModelDeployment.objects.get(model__name="phi-3-mini")
    assert deployment.last_health_status == "healthy" and deployment.last_health_check_at is not None
    assert openai_fake.received[-1].method == "GET" and openai_fake.received[-1].path == "/v1/models"

    openai_fake.script(times=None, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        assert probe_deployments() == {"phi-3-mini@development": "unhealthy:overloaded"}
    openai_fake.reset()
    assert not adapter_for("self_hosted").is_configured("phi-3-mini")
    payload = {"bar": {"amount": 100, "currency": "EUR"}, "occupancy_pct": 50, "stay_date": "2027-03-14"}
    result = route(
        plan(chain=("phi-3-mini", "deterministic"), payload=payload),
        validate=lambda output: [],
        screen=lambda output, safety=None: "allow",
    )
    assert [(a.provider, a.outcome) for a in result.attempts] == [
        ("self_hosted", "not_configured"),
        ("deterministic", "ok"),
    ]
    assert openai_fake.received == []  # the unhealthy deployment got no chat call

    with django_capture_on_commit_callbacks(execute=True):
        assert probe_deployments() == {"phi-3-mini@development": "healthy"}
    assert adapter_for("self_hosted").is_configured("phi-3-mini")


def test_a_probe_result_is_dropped_when_the_endpoint_changed_meanwhile(llama):
    from routing.services import deployment_health_record

    assert not deployment_health_record(
        deployment_id=llama.pk, endpoint_url="http://old.internal/v1", health="unhealthy:timeout"
    )
    assert ModelDeployment.objects.get(pk=llama.pk).last_health_status == ""
