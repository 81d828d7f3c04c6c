"""Start the production web server: `python -m melmastoon_ai.serve [gunicorn options]`.

The one entry point of every web instance (`make serve`, `make run`, the container's `web`, the
benchmarks): gunicorn with melmastoon_ai/gunicorn_conf.py, on HOST:PORT from the environment,
against the configured database and Redis. Extra arguments go to gunicorn.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "melmastoon_ai.settings.base")
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "--config",
        "python:melmastoon_ai.gunicorn_conf",
        *(argv or sys.argv[1:]),
        "melmastoon_ai.wsgi:application",
    ]
    run()


if __name__ == "__main__":
    main()
