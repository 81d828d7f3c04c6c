"""Who a record is about, without storing who: salted per-tenant digests of a data subject's
identifiers (the caller's `subject_ref`, and the emails, phone numbers and guest names found in an
input), so that an erasure asked by any of them finds the records (privacy/, docs/privacy.md).

The salt of a tenant is HMAC(SUBJECT_HASH_KEY, tenant id): the same email gives another digest in
another tenant, and a digest reveals nothing without the key. Values are normalised first (an
email in lower case, a phone in E.164 when the tenant's country lets it parse, a name case-folded
with its spaces collapsed) so the form an erasure is asked in need not match the form the input
had.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable, Mapping

import phonenumbers
from django.conf import settings

KINDS = ("subject_ref", "email", "phone", "name")
# placeholder types of guardrails.pii whose values identify a person the way an erasure names one
PLACEHOLDER_KINDS = {"EMAIL": "email", "PHONE": "phone", "NAME": "name"}
_PLACEHOLDER_TYPE = re.compile(r"^<([A-Z_]+)_\d+>$")


def normalized(kind: str, value: str, *, country: str | None = None) -> str:
    text = " ".join(str(value).split())
    if kind == "email":
        return text.casefold()
    if kind == "name":
        return text.casefold()
    if kind == "phone":
        try:
            number = phonenumbers.parse(text, (country or "").upper() or None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        digits = "".join(char for char in text if char.isdigit())
        return f"+{digits}" if text.startswith("+") else digits
    return text


def _tenant_salt(tenant_id: uuid.UUID | str) -> bytes:
    key = (settings.SUBJECT_HASH_KEY or settings.SECRET_KEY).encode()
    return hmac.new(key, str(uuid.UUID(str(tenant_id))).encode(), hashlib.sha256).digest()


def subject_digest(*, tenant_id: uuid.UUID | str, kind: str, value: str, country: str | None = None) -> str:
    """The digest an identifier of `kind` has in this tenant (64 hex)."""
    if kind not in KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}")
    message = f"{kind}:{normalized(kind, value, country=country)}".encode()
    return hmac.new(_tenant_salt(tenant_id), message, hashlib.sha256).hexdigest()


def digests_of_input(
    *, tenant_id: uuid.UUID | str, mapping: Mapping[str, str], subject_ref: object = None, country: str | None = None
) -> list[str]:
    """The digests of a request's identifiers: its `subject_ref` and the values behind its
    EMAIL, PHONE and NAME placeholders (`ScreenedInput.mapping`), each once, in a stable order."""
    found: list[tuple[str, str]] = []
    if isinstance(subject_ref, str) and subject_ref.strip():
        found.append(("subject_ref", subject_ref))
    for placeholder, value in mapping.items():
        match = _PLACEHOLDER_TYPE.match(placeholder)
        kind = PLACEHOLDER_KINDS.get(match.group(1)) if match else None
        if kind and value.strip():
            found.append((kind, value))
    return list(
        dict.fromkeys(
            subject_digest(tenant_id=tenant_id, kind=kind, value=value, country=country) for kind, value in found
        )
    )


def subject_digests(
    *, tenant_id: uuid.UUID | str, identifiers: Iterable[tuple[str, str]], country: str | None = None
) -> list[str]:
    return list(
        dict.fromkeys(
            subject_digest(tenant_id=tenant_id, kind=kind, value=value, country=country) for kind, value in identifiers
        )
    )
