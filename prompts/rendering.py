"""Strict prompt rendering: `string.Template` syntax, every variable declared and supplied.

A missing or undeclared variable is an error, never an empty string, so a prompt can never
reach a model with a hole in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template


class PromptRenderError(ValueError):
    pass


def template_variables(text: str) -> set[str]:
    template = Template(text)
    if not template.is_valid():
        raise PromptRenderError("the template has a malformed placeholder (use ${name}; $$ for a dollar sign)")
    return set(template.get_identifiers())


def check_templates(*, system_template: str, user_template: str, variables: list[str]) -> None:
    used = template_variables(system_template) | template_variables(user_template)
    declared = set(variables)
    if used - declared:
        raise PromptRenderError(f"templates use undeclared variables: {sorted(used - declared)}")
    if declared - used:
        raise PromptRenderError(f"declared variables never used: {sorted(declared - used)}")


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    user: str


def render(*, system_template: str, user_template: str, variables: list[str], values: dict[str, str]) -> RenderedPrompt:
    declared = set(variables)
    supplied = set(values)
    if declared - supplied:
        raise PromptRenderError(f"missing prompt variables: {sorted(declared - supplied)}")
    if supplied - declared:
        raise PromptRenderError(f"undeclared prompt variables: {sorted(supplied - declared)}")
    strings = {name: str(value) for name, value in values.items()}
    try:
        return RenderedPrompt(
            system=Template(system_template).substitute(strings), user=Template(user_template).substitute(strings)
        )
    except KeyError as exc:  # the template uses a variable the version does not declare
        raise PromptRenderError(f"templates use undeclared variables: [{exc.args[0]!r}]") from exc
    except ValueError as exc:
        raise PromptRenderError(f"the template has a malformed placeholder: {exc}") from exc
