"""The HITL rule language of the catalog: `never`, `always`, `deviation_over_pct(N)`,
`on_auto_block`, `accept(role)`. Parsed once, evaluated by the pipeline on each output."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RULE = re.compile(r"^(?P<kind>[a-z_]+)(?:\((?P<arg>[a-z0-9_.]+)\))?$")
ACCEPT_ROLES = ("lead", "manager", "tenant")


class InvalidHitlRule(ValueError):
    pass


@dataclass(frozen=True)
class HitlRule:
    kind: str
    arg: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}({self.arg})" if self.arg is not None else self.kind

    def requires_gate(self, output: dict) -> str | None:
        """The reason a gate must open for this output, or None."""
        if self.kind == "never":
            return None
        if self.kind == "always":
            return "always reviewed by a human"
        if self.kind == "accept":
            return f"accepted by the {self.arg} before use"
        if self.kind == "deviation_over_pct":
            deviation = output.get("deviation_pct")
            if isinstance(deviation, int | float) and abs(deviation) > float(self.arg):
                return f"deviation {deviation:+.2f}% from BAR exceeds {self.arg}%"
            return None
        if self.kind == "on_auto_block":
            return "auto-block recommended" if output.get("recommend_block") else None
        raise InvalidHitlRule(self.kind)


def parse_hitl_rule(text: str) -> HitlRule:
    match = _RULE.match(text.strip())
    if not match:
        raise InvalidHitlRule(f"not a HITL rule: {text!r}")
    kind, arg = match["kind"], match["arg"]
    if kind in ("never", "always", "on_auto_block") and arg is None:
        return HitlRule(kind)
    if kind == "deviation_over_pct" and arg is not None:
        try:
            if float(arg) < 0:
                raise ValueError
        except ValueError as exc:
            raise InvalidHitlRule(f"deviation_over_pct needs a non-negative number, got {arg!r}") from exc
        return HitlRule(kind, arg)
    if kind == "accept" and arg in ACCEPT_ROLES:
        return HitlRule(kind, arg)
    raise InvalidHitlRule(f"not a HITL rule: {text!r}")
