import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "melmastoon_ai.settings.base")

application = get_wsgi_application()

from melmastoon_ai.tenancy.startup import refuse_unsafe_database_role  # noqa: E402

refuse_unsafe_database_role()

from manifests.checks import require_reachable_signer  # noqa: E402

require_reachable_signer()  # seed 001: boot fails if the configured KMS signer is unreachable

from melmastoon_ai.serving import prepare_master  # noqa: E402

prepare_master()  # import every provider SDK once, before gunicorn forks its workers; log the configuration
