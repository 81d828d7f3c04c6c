"""What the deployment tests share: the documented settings, the image's roles, Kubernetes validation."""

from __future__ import annotations

import kubernetes_validate
import yaml

from melmastoon_ai.entrypoint import ROLES
from tests.deployment.settings_scan import ROOT
from tests.deployment.test_configuration_docs import documented

KUBERNETES_VERSION = "1.37.0"
SECRET_SETTINGS = {name for name, row in documented().items() if row["secret"].startswith("yes")}


def load_all(path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def kubernetes_problem(resource: dict) -> str | None:
    """None when the resource is valid (strict: no unknown field) for the Kubernetes version we target."""
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}: {exc.message} at {list(exc.path)}"
    return None


def container_problem(container: dict) -> str | None:
    """A Cloud Run container is a Kubernetes core/v1 Container: validate it inside a minimal Pod."""
    return kubernetes_problem(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check"}, "spec": {"containers": [container]}}
    )


def env_problems(container: dict, where: str) -> list[str]:
    """Every variable is a documented setting, and every secret comes from a secret store, never a literal."""
    problems = []
    for variable in container.get("env", []):
        name = variable["name"]
        if name not in documented():
            problems.append(f"{where}: {name} is not a setting of docs/configuration.md")
        if name in SECRET_SETTINGS and "value" in variable:
            problems.append(f"{where}: {name} is a secret given as a literal value")
    return problems


def role_problem(args: list[str], where: str) -> str | None:
    """The container's first argument must be one of the image's roles or a manage.py command."""
    from django.core.management import get_commands

    if not args:
        return None
    if args[0] in ROLES or args[0] == "setup" or args[0] in get_commands():
        return None
    return f"{where}: {args[0]!r} is neither a role of melmastoon_ai/entrypoint.py nor a manage.py command"


__all__ = ["ROOT", "container_problem", "env_problems", "kubernetes_problem", "load_all", "role_problem"]
