"""The fleet definitions of seed 000: the Helm chart (linted and rendered by Helm's own Go SDK, the
`helm-python-sdk` wheel, then every object validated against the Kubernetes 1.37 JSON schemas) and the
Cloud Run services and jobs (their containers validated as Kubernetes containers)."""

from __future__ import annotations

import importlib
import importlib.util

import helm_python as helm
import pytest
import yaml
from django.apps import apps

from melmastoon_ai.celery import app as celery_app
from tests.deployment.support import ROOT, container_problem, env_problems, kubernetes_problem, load_all, role_problem

CHART = ROOT / "deploy" / "helm" / "melmastoon-ai"
CLOUD_RUN = ROOT / "deploy" / "cloudrun"
ENVIRONMENTS = ("development", "staging", "production")
CUSTOM_RESOURCES = {"ServiceMonitor"}  # monitoring.coreos.com: not in the core schemas


def render(environment: str) -> list[dict]:
    values = yaml.safe_load((CHART / f"values-{environment}.yaml").read_text())
    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(values, name="mlm", namespace="melmastoon-ai")
    return [document for text in manifests.values() for document in yaml.safe_load_all(text) if document]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {environment: render(environment) for environment in ENVIRONMENTS}


def _kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def _containers(objects: list[dict]) -> list[tuple[str, dict]]:
    found = []
    for item in objects:
        spec = item.get("spec", {}).get("template", {}).get("spec", {})
        found += [(f"{item['kind']}/{item['metadata']['name']}", container) for container in spec.get("containers", [])]
    return found


def test_helm_lint_reports_no_error_for_any_environment():
    for environment in ENVIRONMENTS:
        result = helm.lint(str(CHART), values=yaml.safe_load((CHART / f"values-{environment}.yaml").read_text()))
        assert result["errors"] == [], (environment, result)
        assert [message for message in result["messages"] if message["severity"] > 1] == [], (environment, result)


def test_every_rendered_object_is_valid_kubernetes(rendered):
    problems = [
        kubernetes_problem(item)
        for objects in rendered.values()
        for item in objects
        if item["kind"] not in CUSTOM_RESOURCES
    ]
    assert [problem for problem in problems if problem] == []


def test_the_chart_has_every_part_seed_000_and_the_issue_name(rendered):
    production = rendered["production"]
    assert set(_kind(production, "Deployment")) == {
        "mlm-melmastoon-ai-web",
        "mlm-melmastoon-ai-worker",
        "mlm-melmastoon-ai-beat",
        "mlm-melmastoon-ai-signer",
        "mlm-melmastoon-ai-inference-subscriber",  # the Pub/Sub command consumer (issue 20)
    }
    subscriber = _kind(production, "Deployment")["mlm-melmastoon-ai-inference-subscriber"]
    assert subscriber["spec"]["template"]["spec"]["containers"][0]["args"] == ["inference_subscriber"]
    assert "mlm-melmastoon-ai-inference-subscriber" not in _kind(rendered["staging"], "Deployment")
    for kind in (
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceMonitor",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "Service",
        "Job",
    ):
        assert _kind(production, kind), kind
    release = _kind(production, "Job")["mlm-melmastoon-ai-release"]
    assert release["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert release["spec"]["template"]["spec"]["containers"][0]["args"] == ["release"]
    hpa = _kind(production, "HorizontalPodAutoscaler")["mlm-melmastoon-ai-web"]["spec"]
    assert {metric["type"] for metric in hpa["metrics"]} == {"Resource", "Pods"}
    assert hpa["metrics"][1]["pods"]["metric"]["name"] == "melmastoon_http_requests_in_flight"
    assert _kind(production, "Deployment")["mlm-melmastoon-ai-beat"]["spec"]["replicas"] == 1
    monitor = _kind(production, "ServiceMonitor")["mlm-melmastoon-ai-web"]["spec"]  # a CRD: checked by hand
    assert monitor["selector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    assert monitor["endpoints"] == [
        {
            "port": "http",
            "path": "/metrics",
            "interval": "30s",
            "authorization": {"type": "Bearer", "credentials": {"name": "melmastoon-ai", "key": "METRICS_TOKEN"}},
        }
    ]


def test_environments_differ_as_seed_003_separates_them(rendered):
    web = {env: _kind(objects, "Deployment")["mlm-melmastoon-ai-web"] for env, objects in rendered.items()}
    assert web["development"]["spec"]["replicas"] == 1
    assert "replicas" not in web["production"]["spec"]  # the autoscaler owns it
    assert _kind(rendered["production"], "HorizontalPodAutoscaler")["mlm-melmastoon-ai-web"]["spec"]["minReplicas"] >= 3
    for environment, deployment in web.items():
        env = {item["name"]: item for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["DEPLOYMENT_ENVIRONMENT"]["value"] == environment
    assert "mlm-melmastoon-ai-signer" not in _kind(rendered["development"], "Deployment")
    assert _kind(rendered["development"], "Secret")  # development makes its own; the others never do
    assert not _kind(rendered["production"], "Secret")


def test_every_container_runs_a_real_role_with_documented_settings_and_secrets_by_reference(rendered):
    problems = []
    for environment, objects in rendered.items():
        for where, container in _containers(objects):
            problems += env_problems(container, f"{environment} {where}")
            problems.append(role_problem(container.get("args", []), f"{environment} {where}"))
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
    assert [problem for problem in problems if problem] == []


def test_only_the_signer_runs_under_the_signer_service_account(rendered):
    accounts = {
        item["metadata"]["name"]: item["spec"]["template"]["spec"]["serviceAccountName"]
        for item in rendered["production"]
        if item["kind"] in {"Deployment", "Job"}
    }
    signer_account = accounts.pop("mlm-melmastoon-ai-signer")
    assert signer_account == "mlm-melmastoon-ai-signer"
    assert signer_account not in accounts.values()
    policy = _kind(rendered["production"], "NetworkPolicy")["mlm-melmastoon-ai-signer"]["spec"]
    allowed = [
        rule["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for rule in policy["ingress"][0]["from"]
    ]
    assert allowed == ["web", "edge-models"]


def _cloud_run() -> dict[str, dict]:
    return {path.name: load_all(path)[0] for path in sorted(CLOUD_RUN.glob("*.yaml"))}


def _run_containers(resource: dict) -> list[dict]:
    spec = resource["spec"]["template"]["spec"]
    return spec.get("template", {}).get("spec", spec)["containers"]


def test_cloud_run_containers_are_valid_and_use_real_roles_documented_settings_and_secret_references():
    problems = []
    for name, resource in _cloud_run().items():
        for container in _run_containers(resource):
            problems += [container_problem(container), role_problem(container.get("args", []), name)]
            problems += env_problems(container, name)
    assert [problem for problem in problems if problem] == []


def test_the_cloud_run_api_service_matches_seed_000():
    api = _cloud_run()["service-api.yaml"]
    template = api["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    scale = (annotations["autoscaling.knative.dev/minScale"], annotations["autoscaling.knative.dev/maxScale"])
    assert scale == ("2", "200")
    assert template["spec"]["containerConcurrency"] == 40 and template["spec"]["timeoutSeconds"] == 60
    container = template["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
    probe = container["startupProbe"]
    assert probe["httpGet"]["path"] == "/readyz"
    assert probe["periodSeconds"] * probe["failureThreshold"] <= 20
    env = {item["name"]: item for item in container["env"]}
    threads = int(env["WEB_CONCURRENCY"]["value"]) * int(env["WEB_THREADS"]["value"])
    assert threads >= template["spec"]["containerConcurrency"]  # every admitted request has a thread
    assert env["VERTEX_LOCATION"]["value"] == "europe-west1"


def test_the_manifest_signer_has_no_public_ingress_and_its_own_identity():
    resources = _cloud_run()
    signer = resources["service-signer.yaml"]
    assert signer["metadata"]["annotations"]["run.googleapis.com/ingress"] == "internal"
    assert signer["spec"]["template"]["spec"]["containers"][0]["args"] == ["signer"]
    signer_account = signer["spec"]["template"]["spec"]["serviceAccountName"]
    others = []
    for name, resource in resources.items():
        spec = resource["spec"]["template"]["spec"]
        if name != "service-signer.yaml":
            others.append(spec.get("template", {}).get("spec", spec)["serviceAccountName"])
    assert signer_account not in others


def _registered_tasks() -> set[str]:
    """Every app's tasks module imported, as a worker's autodiscovery does."""
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks") is not None:
            importlib.import_module(f"{config.name}.tasks")
    return set(celery_app.tasks)


def test_the_cloud_run_jobs_run_registered_tasks_and_the_release_before_rollout():
    tasks = _registered_tasks()
    jobs = {name: resource for name, resource in _cloud_run().items() if resource["kind"] == "Job"}
    assert set(jobs) == {
        "job-release.yaml",
        "job-edge-models.yaml",
        "job-eval-runner.yaml",
        "job-budget-resetter.yaml",
        "job-rag-ingestor.yaml",
    }
    assert _run_containers(jobs["job-release.yaml"])[0]["args"] == ["release"]
    for name, job in jobs.items():
        args = _run_containers(job)[0]["args"]
        if args[0] == "run_task":
            assert args[1] in tasks, f"{name} runs task {args[1]}, which is not registered"


def _http_probe_problems(container: dict, where: str) -> list[str]:
    """Django answers 400 to a Host it does not allow, so a probe must send one it does."""
    probes = [
        container[kind]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
        if "httpGet" in container.get(kind, {})
    ]
    if not probes:
        return []
    env = {item["name"]: item.get("value", "") for item in container.get("env", [])}
    problems = [] if "localhost" in env.get("ALLOWED_HOSTS", "").split(",") else [f"{where}: localhost not allowed"]
    for probe in probes:
        if {"name": "Host", "value": "localhost"} not in probe["httpGet"].get("httpHeaders", []):
            problems.append(f"{where}: a probe without Host: localhost")
    return problems


def test_every_http_probe_sends_a_host_the_service_allows(rendered):
    problems = [
        problem
        for environment, objects in rendered.items()
        for where, container in _containers(objects)
        for problem in _http_probe_problems(container, f"{environment} {where}")
    ]
    problems += [
        problem
        for name, resource in _cloud_run().items()
        for container in _run_containers(resource)
        for problem in _http_probe_problems(container, name)
    ]
    assert problems == []
