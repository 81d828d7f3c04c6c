"""What the adapters over Google Cloud's generated (GAPIC) clients share: the client options that
point one at its endpoint, the credentials, and the translation of its errors to ProviderError.

Document AI, Speech-to-Text, Cloud Translation, Cloud Vision and Cloud Storage all sit on
google-api-core and google-auth and speak REST (`transport="rest"`) here, which a loopback fake
answers in tests. Each adapter imports its own service's SDK; none imports another adapter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from google.api_core import exceptions as core_exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials as BaseCredentials
from google.auth.exceptions import GoogleAuthError
from google.oauth2.credentials import Credentials
from google.protobuf.json_format import ParseError

from routing.providers.common import provider_error, status_error

__all__ = ["call_metadata", "client_options", "credentials", "provider_error", "translated_errors"]


def client_options(endpoint: str | None) -> ClientOptions | None:
    """`endpoint`: a host (`eu-vision.googleapis.com`) or a URL (`http://127.0.0.1:PORT`, a fake)."""
    return ClientOptions(api_endpoint=endpoint) if endpoint else None


def credentials(access_token: str | None) -> BaseCredentials | None:
    """A static bearer token (fakes, tests), or None: Application Default Credentials."""
    return Credentials(token=access_token) if access_token else None


def call_metadata(headers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Our call headers as GAPIC metadata (sent as HTTP headers over REST), names in lower case."""
    return tuple((name.lower(), value) for name, value in headers.items())


@contextmanager
def translated_errors(provider: str) -> Iterator[None]:
    """Every google-api-core / transport error as a ProviderError; the service's message is
    dropped (it may echo the input: a name read off a passport, a transcript)."""
    try:
        yield
    except core_exceptions.GoogleAPICallError as exc:
        code = exc.code if isinstance(exc.code, int) else 500
        raise status_error(code, provider=provider) from exc
    except core_exceptions.RetryError as exc:
        raise provider_error("timeout", f"{provider} did not answer in time") from exc
    except requests.Timeout as exc:
        raise provider_error("timeout", f"{provider} did not answer in time") from exc
    except requests.ConnectionError as exc:
        if _refused(exc):
            raise provider_error("unavailable", f"{provider} could not be reached") from exc
        raise provider_error("malformed", f"{provider} broke off its answer") from exc
    except requests.RequestException as exc:
        raise provider_error("malformed", f"{provider} broke off its answer") from exc
    except (json.JSONDecodeError, ParseError, ValueError) as exc:
        raise provider_error("malformed", f"{provider} answered an unreadable body") from exc
    except GoogleAuthError as exc:
        raise provider_error("auth", f"{provider} has no usable credentials") from exc


def _refused(exc: requests.ConnectionError) -> bool:
    """A connection never made (refused, no route) rather than one that broke off mid-answer."""
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "ConnectionRefusedError", "Connection refused"))
