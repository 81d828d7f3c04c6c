"""OpenAI-style chat messages to a capability's input, and its output to the message content. Pure.

A chat-compatible capability declares the mapping in its catalog row (`chat_mapping`):

    {"input": {"question": {"from": "last_user"},
               "locale": {"from": "system", "key": "locale", "default": "en"}},
     "output": "answer"}

- `{"from": "last_user"}`: the text of the last `user` message;
- `{"from": "system", "key": K, "default"?: D}`: the value of a `K: value` line in a `system`
  (or `developer`) message; absent, the default, else the field is left out (the input schema
  then says whether it was required);
- `"*": {"from": "last_user_json"}`: the last user message is the whole input, as a JSON object.

The caller's locale (`context.locale`) is a system message's `locale:` line, else the input's
`locale`, else `en`. `output` names the output's text field: the message content, unless the
caller asked for JSON (`response_format`), which gets the whole output as a JSON string.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from melmastoon_ai.errors import ApplicationError

SYSTEM_ROLES = frozenset({"system", "developer"})
ROLES = SYSTEM_ROLES | {"user", "assistant", "tool"}
_KEY_LINE = re.compile(r"^\s*([a-z_]+)\s*:\s*(.+?)\s*$", re.MULTILINE)


class BadMessages(ApplicationError):
    status = 400
    code = "invalid_request"


@dataclass(frozen=True)
class ChatInput:
    input: dict
    locale: str


def message_text(message: dict) -> str:
    """A message's text: a string content, or the text parts of a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type", "text") == "text"
        )
    return ""


def check_messages(messages: object) -> list[dict]:
    if not isinstance(messages, list) or not messages:
        raise BadMessages("messages must be a non-empty list.", details={"param": "messages"})
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise BadMessages(
                f"messages[{index}] needs a role among {sorted(ROLES)}.", details={"param": f"messages[{index}]"}
            )
    return messages


def system_values(messages: list[dict]) -> dict[str, str]:
    """The `key: value` lines of the system messages (a later message wins)."""
    values: dict[str, str] = {}
    for message in messages:
        if message.get("role") in SYSTEM_ROLES:
            values.update({key: value for key, value in _KEY_LINE.findall(message_text(message))})
    return values


def last_user_text(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            text = message_text(message)
            if text.strip():
                return text
    raise BadMessages("messages has no user message with text.", details={"param": "messages"})


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadMessages(
            "this model takes its input as a JSON object in the last user message.", details={"param": "messages"}
        ) from exc
    if not isinstance(value, dict):
        raise BadMessages("the last user message must be a JSON object for this model.", details={"param": "messages"})
    return value


def chat_input(mapping: dict, messages: object) -> ChatInput:
    """The capability input and the caller's locale from the chat messages, as `mapping` says."""
    messages = check_messages(messages)
    system = system_values(messages)
    payload: dict = {}
    for field, source in (mapping.get("input") or {}).items():
        kind = source.get("from")
        if kind == "last_user_json":
            payload.update(_json_object(last_user_text(messages)))
        elif kind == "last_user":
            payload[field] = last_user_text(messages)
        elif kind == "system":
            value = system.get(source["key"], source.get("default"))
            if value is not None:
                payload[field] = value
    locale = system.get("locale") or payload.get("locale") or "en"
    return ChatInput(input=payload, locale=str(locale))


def output_content(mapping: dict, output: dict, *, as_json: bool) -> str:
    """The assistant message content for a capability's output."""
    if as_json:
        return json.dumps(output, ensure_ascii=False, separators=(",", ":"))
    value = output.get(mapping.get("output") or "")
    return value if isinstance(value, str) else json.dumps(output, ensure_ascii=False, separators=(",", ":"))
