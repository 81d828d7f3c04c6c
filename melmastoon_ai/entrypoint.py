"""The container's entrypoint: one image, every role (Dockerfile, compose.yaml, deploy/).

    web       the API: python -m melmastoon_ai.serve (gunicorn, melmastoon_ai/gunicorn_conf.py)
    signer    the manifest signer service: the same server with SERVICE_ROLE=signer
    worker    a Celery worker                     beat      Celery beat (one per deployment)
    migrate   manage.py migrate (as MIGRATION_DATABASE_URL, the owner role)
    release   what runs before a revision takes traffic: migrate, seed_catalog, seed_evals
    edge-models  build the edge models into EDGE_MODEL_DIR if missing and publish a signed manifest
    bootstrap manage.py bootstrap_db (roles, extension, database; DATABASE_SUPERUSER_URL)
    setup     bootstrap, release and edge-models one after the other (compose.yaml's one-shot job)
    anything else: a manage.py command (`createsuperuser`, `run_eval ...`, `feature_flag ...`)

Each role replaces this process (`exec`), so the platform's signals reach the server itself.
"""

from __future__ import annotations

import os
import subprocess
import sys

MANAGE = ("python", "manage.py")
ROLES: dict[str, tuple[str, ...]] = {
    "web": ("python", "-m", "melmastoon_ai.serve"),
    "signer": ("python", "-m", "melmastoon_ai.serve"),
    "worker": ("celery", "-A", "melmastoon_ai", "worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle"),
    "beat": ("celery", "-A", "melmastoon_ai", "beat", "--loglevel", "INFO"),
    "migrate": (*MANAGE, "migrate", "--noinput"),
    "release": (*MANAGE, "prepare_release"),
    "edge-models": (*MANAGE, "edge_models_build", "--publish", "--if-missing"),
    "bootstrap": (*MANAGE, "bootstrap_db"),
}
SETUP = ("bootstrap", "release", "edge-models")


def command_for(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """(the command to exec, environment overrides) for the container's arguments."""
    role, *rest = argv or ["web"]
    overrides = {"SERVICE_ROLE": "signer"} if role == "signer" else {}
    if role in ROLES:
        return [*ROLES[role], *rest], overrides
    return [*MANAGE, role, *rest], overrides


def _interpreter(command: list[str]) -> list[str]:
    return [sys.executable, *command[1:]] if command[0] == "python" else command


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["setup"]:
        for role in SETUP:
            subprocess.run(_interpreter(command_for([role])[0]), check=True)  # noqa: S603  (our fixed commands)
        return
    command, overrides = command_for(argv)
    os.environ.update(overrides)
    command = _interpreter(command)
    os.execvp(command[0], command)  # noqa: S606  (our fixed commands, no shell)


if __name__ == "__main__":
    main()
