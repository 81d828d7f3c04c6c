"""Remove credentials (API keys, bearer tokens, JWTs, passwords in URLs) and personal data
(the guardrails' PII redactor: emails, phones, cards, IBANs, IDs, passports) from text bound
for logs."""

from __future__ import annotations

import re
from typing import Any

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"mlm_[a-z0-9]{6,16}_[A-Za-z0-9_\-]{10,}"), "mlm_[REDACTED]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]+=*"), "Bearer [REDACTED]"),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), "[REDACTED_JWT]"),
    (re.compile(r"(?i)\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,})"), "[REDACTED_PROVIDER_KEY]"),
    (re.compile(r"(?i)(postgres(?:ql)?|redis|rediss)://([^:/@\s]+):([^@\s]+)@"), r"\1://\2:[REDACTED]@"),
]


def scrub_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    from guardrails.pii import may_hold_pii, redact

    if may_hold_pii(text):
        text = redact(text).text
    return text


def scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item) for item in value]
    return value
