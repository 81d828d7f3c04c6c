"""The reviewer's editor for a draft output: one input per top-level field of the capability's
output schema, read back into an output that the schema then validates before anything is saved.

Strings are edited as text (multi-line for long ones), enums as a choice, numbers as numbers,
booleans as yes/no; nested objects and arrays as JSON. Each field carries the schema's limits
(required, maxLength, minimum, maximum) so the browser refuses obvious mistakes before sending.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from melmastoon_ai.parsers import finite_float, json_loads_bounded

RTL_LOCALES = frozenset({"ar", "fa", "fa-AF", "prs", "ps", "ur", "he"})
FIELD_PREFIX = "output."
LONG_TEXT = 200  # maxLength above which a string gets a textarea
_MISSING = re.compile(r"^'(?P<name>[^']+)' is a required property")


@dataclass
class OutputField:
    name: str
    kind: str  # text | choice | number | integer | boolean | json
    value: str
    required: bool
    choices: list[str] = field(default_factory=list)
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    multiline: bool = False
    error: str = ""

    @property
    def input_name(self) -> str:
        return FIELD_PREFIX + self.name


def _kind(spec: dict) -> str:
    kind = spec.get("type")
    if "enum" in spec and kind == "string":
        return "choice"
    if kind in ("string", "number", "integer", "boolean"):
        return "text" if kind == "string" else kind
    return "json"


def _shown(kind: str, value) -> str:
    if value is None:
        return ""
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def output_fields(schema: dict, output: dict) -> list[OutputField]:
    required = set(schema.get("required", []))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        kind = _kind(spec)
        max_length = spec.get("maxLength")
        fields.append(
            OutputField(
                name=name,
                kind=kind,
                value=_shown(kind, output.get(name)),
                required=name in required,
                choices=[str(choice) for choice in spec.get("enum", [])],
                max_length=max_length,
                minimum=spec.get("minimum"),
                maximum=spec.get("maximum"),
                multiline=kind == "json" or (kind == "text" and (max_length is None or max_length > LONG_TEXT)),
            )
        )
    return fields


def _parse(item: OutputField, raw: str):
    if item.kind in ("text", "choice"):
        return raw
    if item.kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError("choose yes or no")
        return raw == "true"
    if item.kind == "integer":
        return int(raw)
    if item.kind == "number":
        number = finite_float(raw)
        return int(number) if number.is_integer() and "." not in raw else number
    return json_loads_bounded(raw)


def parse_output(schema: dict, form) -> tuple[dict, list[OutputField]]:
    """Read the edited output from a submitted form. Returns the output and the fields, with an
    error on each field that could not be read (the schema check comes after, in the service)."""
    fields = output_fields(schema, {})
    output = {}
    for item in fields:
        raw = form.get(item.input_name, "")
        raw = raw.replace("\r\n", "\n")
        item.value = raw
        if raw == "" and item.kind != "text":
            continue  # an empty optional field is left out; a required one fails the schema check
        if raw == "" and not item.required:
            continue
        try:
            output[item.name] = _parse(item, raw.strip() if item.kind != "text" else raw)
        except (ValueError, json.JSONDecodeError) as exc:
            item.error = f"not a valid {item.kind}: {exc}" if item.kind != "boolean" else str(exc)
    return output, fields


def attach_schema_errors(fields: list[OutputField], errors: list[dict]) -> list[str]:
    """Put each schema error on the field its JSON pointer names; return those that name none."""
    by_name = {item.name: item for item in fields}
    unplaced = []
    for error in errors:
        pointer = error.get("pointer", "/")
        top = pointer.strip("/").split("/", 1)[0]
        missing = _MISSING.match(error.get("message", ""))
        if pointer == "/" and missing:
            top = missing["name"]
        if top in by_name:
            by_name[top].error = (
                f"{pointer}: {error.get('message')}" if pointer.count("/") > 1 else error.get("message", "")
            )
        else:
            unplaced.append(f"{pointer}: {error.get('message')}")
    return unplaced


def text_direction(output: dict, input_redacted: dict) -> tuple[str, str]:
    """(dir, lang) for a draft: the output's own `direction` when it declares one, else the locale."""
    locale = ""
    for source in (output, input_redacted):
        for key in ("locale", "target_locale"):
            if isinstance(source.get(key), str):
                locale = source[key]
                break
        if locale:
            break
    declared = output.get("direction")
    if declared in ("ltr", "rtl"):
        return declared, locale
    return ("rtl" if locale in RTL_LOCALES else "ltr"), locale


def readable(output: dict) -> list[dict]:
    """An output as a reviewer reads it: text as text (line breaks kept), anything else as JSON."""
    return [
        {"name": name, "text": value}
        if isinstance(value, str)
        else {"name": name, "json": json.dumps(value, ensure_ascii=False, indent=2)}
        for name, value in (output or {}).items()
    ]
