"""Our gateway as a target of the shared peer harness (`../shared/bench-peers/`, its README
"Our gateway side by side"): writes the `--targets-file` for bench.py.

    python -m bench.peers_targets --stack WORK/stack.json --out WORK/targets.json [--servers 2x100]

The stack JSON comes from the harness's melmastoon_stack.py (embedded PostgreSQL + Valkey,
`prepare_local`, a tenant and a key). Each server is started exactly as a production instance is:
`python -m melmastoon_ai.serve` (gunicorn, threaded workers, a database pool per worker), with
WEB_CONCURRENCY x WEB_THREADS from `--servers`, plus one Celery worker and beat as `make run`
starts them. Every server gets OPENAI_* pointing at the harness's fake upstream and nothing for
Anthropic or Vertex, so pricing.suggest (gemini-1.5-flash, claude-3-5-sonnet, gpt-4o-mini,
deterministic) is answered by openai/gpt-4o-mini; a `-miss` target varies the input per request
(regimes a and b), a `-hit` target repeats one input (regime a: a hit makes no upstream call).

`--chat` adds, on the first server, the OpenAI-compatible door next to `/complete` for the same
capability (issue 21): `-tutor-complete` posts tutor.answer to /api/v1/ai/complete and
`-tutor-chat` posts the same question to /v1/chat/completions with `model: tutor.answer`, each
with a new question per request. tutor.answer's chain names no OpenAI model, and the harness's
fake speaks only OpenAI, so `--chat` first routes tutor.answer to gpt-4o-mini in the bench
database, as an operator would in admin (`route_tutor_to_openai`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

TUTOR_QUESTION = "What time is breakfast served, {{VARY}}?"


def body(*, vary: bool) -> str:
    room = "Deluxe {{VARY}}" if vary else "Deluxe fixed"
    return json.dumps(
        {
            "capability": "pricing.suggest",
            "context": {"feature": "bench", "locale": "en"},
            "input": {
                "bar": {"amount": 120, "currency": "EUR"},
                "occupancy_pct": 55,
                "stay_date": "2027-03-14",
                "lead_time_days": 30,
                "room_type": room,
            },
        },
        separators=(",", ":"),
    )


def tutor_bodies() -> tuple[str, str]:
    """The same question to /complete and to /v1/chat/completions."""
    complete = {
        "capability": "tutor.answer",
        "context": {"feature": "bench", "locale": "en"},
        "input": {"question": TUTOR_QUESTION, "locale": "en"},
    }
    chat = {"model": "tutor.answer", "messages": [{"role": "user", "content": TUTOR_QUESTION}]}
    return json.dumps(complete, separators=(",", ":")), json.dumps(chat, separators=(",", ":"))


def route_tutor_to_openai(stack: dict) -> None:
    """tutor.answer answered by gpt-4o-mini, then the deterministic fallback (the bench database only)."""
    code = (
        "from capabilities.models import Capability; from routing.models import Model; "
        "Capability.objects.filter(pk='tutor.answer').update("
        "default_model=Model.objects.get(name='gpt-4o-mini'), fallback_chain=['deterministic'])"
    )
    env = dict(
        os.environ,
        DATABASE_URL=stack["MIGRATION_DATABASE_URL"],
        REDIS_URL=stack["REDIS_URL"],
        MELMASTOON_VAR_DIR=stack["var"],
        DJANGO_SETTINGS_MODULE="melmastoon_ai.settings.base",
        SECRET_KEY="bench-only",
    )
    subprocess.run([stack["python"], "manage.py", "shell", "-c", code], cwd=stack["project"], env=env, check=True)


def _environment(stack: dict, app: str, *, pool: int) -> dict[str, str]:
    separator = "&" if "?" in stack["DATABASE_URL"] else "?"
    return {
        "DATABASE_URL": f"{stack['DATABASE_URL']}{separator}application_name={app}",
        "MIGRATION_DATABASE_URL": stack["MIGRATION_DATABASE_URL"],
        "REDIS_URL": stack["REDIS_URL"],
        "MELMASTOON_VAR_DIR": stack["var"],
        "DJANGO_SETTINGS_MODULE": "melmastoon_ai.settings.base",
        "SECRET_KEY": "bench-only",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX_SIZE": str(pool),
        "OPENAI_API_KEY": "sk-fake-bench-key",
        "OPENAI_BASE_URL": "{fake_base}",
    }


def targets(
    stack: dict, *, servers: list[tuple[int, int]], port_base: int, pool: int, celery: bool = True, chat: bool = False
) -> list[dict]:
    python = stack["python"]
    venv_bin = str(Path(python).parent)
    project = stack["project"]
    out: list[dict] = []
    also: list[str] = []
    if celery:
        for name, command in (
            ("mlm-worker", "worker --loglevel WARNING --concurrency 2"),
            ("mlm-beat", "beat --loglevel WARNING"),
        ):
            out.append(
                {
                    "name": name,
                    "cwd": project,
                    "env": _environment(stack, name, pool=pool),
                    "start": f"exec {venv_bin}/celery -A melmastoon_ai {command}",
                }
            )
            also.append(name)
    for offset, (workers, threads) in enumerate(servers):
        name, port = f"mlm-serve-{workers}x{threads}", port_base + offset
        env = _environment(stack, name, pool=pool) | {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "WEB_THREADS": str(threads),
        }
        out.append(
            {
                "name": name,
                "cwd": project,
                "env": env,
                "start": f"exec {python} -m melmastoon_ai.serve",
                "ready_url": f"http://127.0.0.1:{port}/readyz",
                "ready_timeout": 120,
            }
        )
        url = f"http://127.0.0.1:{port}/api/v1/ai/complete"
        headers = {"X-API-Key": stack["api_key"]}
        common = {
            "proc": name,
            "url": url,
            "headers": headers,
            "match": '"cache_hit":true',
            "pg_app": name,
            "also_count": also,
        }
        out.append(
            common
            | {
                "name": f"{name}-miss",
                "body": body(vary=True),
                "vary": True,
                "verify": "cache-miss",
                "regimes": ["a", "b"],
            }
        )
        if chat and offset == 0:
            complete, chat_body = tutor_bodies()
            out.append(
                common | {"name": f"{name}-tutor-complete", "body": complete, "vary": True, "verify": "cache-miss"}
            )
            out.append(
                common
                | {
                    "name": f"{name}-tutor-chat",
                    "url": f"http://127.0.0.1:{port}/v1/chat/completions",
                    "headers": {"Authorization": f"Bearer {stack['api_key']}"},
                    "body": chat_body,
                    "vary": True,
                    "verify": "cache-miss",
                }
            )
        # Last: the harness primes each target with 3 s of wrk and then verifies every target by its
        # upstream count; a cache-miss load's requests still in flight would be counted against the
        # next verification, a cache hit's make no upstream call.
        out.append(common | {"name": f"{name}-hit", "body": body(vary=False), "verify": "cache-hit", "regimes": ["a"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--servers", default="2x100", help="WORKERSxTHREADS, comma-separated")
    parser.add_argument("--pool", type=int, default=4, help="DB_POOL_MAX_SIZE per worker process")
    parser.add_argument("--port-base", type=int, default=8451)
    parser.add_argument("--no-celery", action="store_true")
    parser.add_argument("--chat", action="store_true", help="add the tutor.answer /complete and /v1/chat targets")
    args = parser.parse_args()
    stack = json.loads(Path(args.stack).read_text())
    servers = [tuple(int(n) for n in spec.split("x")) for spec in args.servers.split(",") if spec]
    if args.chat:
        route_tutor_to_openai(stack)
    written = targets(
        stack, servers=servers, port_base=args.port_base, pool=args.pool, celery=not args.no_celery, chat=args.chat
    )
    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(written, handle, indent=1)
    print(args.out)


if __name__ == "__main__":
    main()
