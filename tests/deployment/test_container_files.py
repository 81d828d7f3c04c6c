"""The Dockerfile, .dockerignore, the lock file, the entrypoint and compose.yaml, checked offline.

The image itself is built and run by scripts/container_smoke.sh (podman; .ci/run runs it after this
suite); these tests hold the files to their rules without a container runtime: hadolint's own binary
lints the Dockerfile, and compose.yaml is validated against the Compose Specification's JSON Schema.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from melmastoon_ai.entrypoint import ROLES, SETUP, command_for
from tests.deployment.support import ROOT, env_problems, role_problem

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"
BUILD_TOOLS = ("gcc", "g++", "make", "build-essential", "python3-dev", "libpq-dev", "git", "curl", "wget")


def _stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), one list per stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run([str(HADOLINT), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_has_a_build_stage_and_a_final_stage_without_build_tools():
    stages = _stages()
    assert len(stages) == 2
    build, final = stages
    assert build[0].startswith("FROM ${BASE_IMAGE} AS build")
    final_runs = " ".join(line for line in final if line.startswith("RUN "))
    assert not [tool for tool in BUILD_TOOLS if re.search(rf"\b{re.escape(tool)}\b", final_runs)]
    assert "pip install" not in final_runs  # the virtualenv comes built from the first stage
    assert any(line == "COPY --from=build /opt/venv /opt/venv" for line in final)
    install = " ".join(line for line in build if "pip install" in line)
    assert "--only-binary=:all:" in install and "-c /tmp/requirements.lock" in install
    assert "ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim" in DOCKERFILE.read_text()


def test_the_final_stage_runs_as_a_numeric_non_root_user_with_a_healthcheck_and_the_entrypoint():
    final = _stages()[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    healthcheck = next(line for line in final if line.startswith("HEALTHCHECK "))
    assert "/healthz" in healthcheck
    assert 'ENTRYPOINT ["python", "-m", "melmastoon_ai.entrypoint"]' in final
    assert 'CMD ["web"]' in final
    assert any("collectstatic" in line for line in final)


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", "tests"} <= ignored


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = version.split(";")[0].strip()
    return pins


def test_requirements_lock_pins_every_requirement_at_the_same_version():
    wanted, locked = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements.lock")
    drift = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert not drift, (
        f"requirements.lock disagrees with requirements.txt {drift} (wanted, locked): "
        "run scripts/lock_requirements.sh and commit requirements.lock"
    )
    assert len(locked) > len(wanted)  # the transitive packages are pinned too


@pytest.mark.parametrize(
    ("argv", "command", "overrides"),
    [
        ([], ["python", "-m", "melmastoon_ai.serve"], {}),
        (["web"], ["python", "-m", "melmastoon_ai.serve"], {}),
        (["signer"], ["python", "-m", "melmastoon_ai.serve"], {"SERVICE_ROLE": "signer"}),
        (
            ["worker"],
            ["celery", "-A", "melmastoon_ai", "worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            {},
        ),
        (["beat"], ["celery", "-A", "melmastoon_ai", "beat", "--loglevel", "INFO"], {}),
        (["migrate"], ["python", "manage.py", "migrate", "--noinput"], {}),
        (["release"], ["python", "manage.py", "prepare_release"], {}),
        (["edge-models"], ["python", "manage.py", "edge_models_build", "--publish", "--if-missing"], {}),
        (["createsuperuser", "--username", "ops"], ["python", "manage.py", "createsuperuser", "--username", "ops"], {}),
    ],
)
def test_the_entrypoint_dispatches_each_role(argv, command, overrides):
    assert command_for(argv) == (command, overrides)


def test_every_role_names_a_real_manage_py_command():
    from django.core.management import get_commands

    commands = get_commands()
    for role, command in ROLES.items():
        if command[:2] == ("python", "manage.py"):
            assert command[2] in commands, f"role {role} runs manage.py {command[2]}, which does not exist"
    assert set(SETUP) <= set(ROLES)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads((ROOT / "tests" / "deployment" / "data" / "compose_spec.json").read_text())
    document = {key: value for key, value in _compose().items() if not key.startswith("x-")}
    jsonschema.Draft201909Validator(schema).validate(document)


def test_compose_runs_the_one_image_in_every_role_after_a_successful_setup():
    services = _compose()["services"]
    assert services["db"]["image"].startswith("pgvector/pgvector:pg16")
    assert services["redis"]["image"] == "redis:7"
    app = {name: service for name, service in services.items() if service.get("build")}
    assert set(app) == {"setup", "web", "worker", "beat", "pubsub", "inference-subscriber"}
    assert {service["image"] for service in app.values()} == {"melmastoon-ai:local"}
    assert app["setup"]["command"] == ["setup"]
    assert app["setup"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert app[name]["command"] == [name]
        assert app[name]["depends_on"] == {"setup": {"condition": "service_completed_successfully"}}
    for name in ("pubsub", "inference-subscriber"):  # the Pub/Sub profile, after the setup too
        assert app[name]["profiles"] == ["pubsub"]
        assert app[name]["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
    problems = [
        problem
        for name, service in app.items()
        for problem in env_problems({"env": [{"name": key} for key in service["environment"]]}, name)
    ]
    problems += [role_problem(service["command"], name) for name, service in app.items()]
    assert [problem for problem in problems if problem] == []
