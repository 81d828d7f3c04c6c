"""A model's answer checked against its request (step 8), beyond the output schema: an answer can be
schema-valid and still wrong in ways a product would act on (a price in another currency, a
deviation that does not follow from the numbers, an id the input never had, another locale).

`answer_errors` lists what is wrong; the router treats a non-empty list like a schema violation
(one repair with the same model, then the next in the chain). It checks provider answers only:
the deterministic fallbacks are our own code, tested against these same rules. `normalized`
then replaces what the gateway computes itself (a suggestion's `deviation_pct`), so that nothing
downstream, the HITL gate included, depends on a number the model merely claimed.

Paths are JSON-pointer-like with `*` for every item of a list: `/reviews/*/review_id`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEVIATION_TOLERANCE_PCT = 0.5  # a claimed deviation may differ from the computed one by rounding
PRICE_BAND = (0.1, 10.0)  # a suggestion outside 10 % .. 10x of BAR is a wrong answer, not a price


def values_at(document: object, path: str) -> list[object]:
    """Every value at `path` (`*` fans out over a list); missing parts give nothing."""
    found = [document]
    for part in [p for p in path.split("/") if p]:
        step: list[object] = []
        for node in found:
            if part == "*" and isinstance(node, list):
                step.extend(node)
            elif isinstance(node, dict) and part in node:
                step.append(node[part])
        found = step
    return found


@dataclass(frozen=True)
class Cited:
    """Every value at `output` must be one of the values at `source` in the input (when the input
    has any there: without a list of its own, a capability may offer from its standard one)."""

    output: str
    source: str

    def errors(self, payload: dict, output: dict) -> list[str]:
        known = {str(value) for value in values_at(payload, self.source)}
        if not known:
            return []
        unknown = sorted({str(value) for value in values_at(output, self.output)} - known)
        if unknown:
            return [f"{self.output} cites {unknown[:5]}, which the input does not have ({self.source})"]
        return []


@dataclass(frozen=True)
class Same:
    """The value at `output` must equal the one at `source` (locales compared case-insensitively)."""

    output: str
    source: str
    also: str = ""  # another output path that may carry the value instead (a fallback's requested locale)

    def errors(self, payload: dict, output: dict) -> list[str]:
        expected = [str(value).lower() for value in values_at(payload, self.source)]
        if not expected:
            return []
        given = [str(value).lower() for path in (self.output, self.also) if path for value in values_at(output, path)]
        if expected[0] in given:
            return []
        return [f"{self.output} must be {values_at(payload, self.source)[0]!r}, as asked in {self.source}"]


Check = Callable[[dict, dict], list[str]]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def deviation_pct(payload: dict, output: dict) -> float | None:
    """(suggested - BAR) / BAR * 100, from the numbers; None when either is missing."""
    bar = _number((payload.get("bar") or {}).get("amount"))
    amount = _number((output.get("suggested_price") or {}).get("amount"))
    if bar is None or amount is None or bar <= 0:
        return None
    return round((amount - bar) / bar * 100, 2)


def _price_errors(payload: dict, output: dict) -> list[str]:
    bar, price = payload.get("bar") or {}, output.get("suggested_price") or {}
    errors = []
    if price.get("currency") != bar.get("currency"):
        errors.append(f"suggested_price.currency must be {bar.get('currency')!r}, the currency of the BAR")
    amount, bar_amount = _number(price.get("amount")), _number(bar.get("amount"))
    if amount is None or bar_amount is None:
        return errors
    low, high = PRICE_BAND
    if not low * bar_amount <= amount <= high * bar_amount:
        errors.append(f"suggested_price.amount {amount} is outside {low:g}x..{high:g}x of the BAR {bar_amount}")
    for bound, limit in (("min_price", lambda a, b: a >= b), ("max_price", lambda a, b: a <= b)):
        given = _number(payload.get(bound))
        if given is not None and not limit(amount, given):
            errors.append(f"suggested_price.amount {amount} breaks the input's {bound} {given}")
    computed, claimed = deviation_pct(payload, output), _number(output.get("deviation_pct"))
    if computed is not None and claimed is not None and abs(computed - claimed) > DEVIATION_TOLERANCE_PCT:
        errors.append(
            f"deviation_pct {claimed} does not follow from the numbers: (amount - BAR) / BAR * 100 is {computed}"
        )
    return errors


def _forecast_errors(payload: dict, output: dict) -> list[str]:
    start, rooms = payload.get("start_date"), _number(payload.get("room_count"))
    errors = []
    dates = values_at(output, "/days/*/date")
    if isinstance(start, str) and any(isinstance(day, str) and day < start for day in dates):
        errors.append(f"days/*/date must not be before the start_date {start}")
    for sold in values_at(output, "/days/*/expected_rooms_sold"):
        value = _number(sold)
        if value is not None and (value < 0 or (rooms is not None and value > rooms)):
            errors.append(f"days/*/expected_rooms_sold {value} is outside 0..{rooms} rooms")
            break
    return errors


CHECKS: dict[str, tuple[Check, ...]] = {
    "pricing.suggest": (_price_errors,),
    "pricing.demand_forecast": (Same("/start_date", "/start_date").errors, _forecast_errors),
    "anomaly.detect": (Cited("/reasons/*/event_ids/*", "/events/*/event_id").errors,),
    "housekeeping.route": (Cited("/stops/*/room_number", "/rooms/*/room_number").errors,),
    # a draft may be written in English when the asked locale has no templates; it then says which was asked
    "message.draft": (Same("/locale", "/locale", also="/requested_locale").errors,),
    "review.summarize": (Cited("/themes/*/review_ids/*", "/reviews/*/review_id").errors,),
    "staff.shift_optimize": (
        Cited("/assignments/*/shift_id", "/shifts/*/shift_id").errors,
        Cited("/assignments/*/staff_ids/*", "/staff/*/staff_id").errors,
        Cited("/unmet_demand/*/shift_id", "/shifts/*/shift_id").errors,
        Cited("/staff_load/*/staff_id", "/staff/*/staff_id").errors,
    ),
    "translation.draft": (
        Same("/source_locale", "/source_locale").errors,
        Same("/target_locale", "/target_locale").errors,
    ),
    "upsell.recommend": (Cited("/offers/*/code", "/catalog/*/code").errors,),
}


def answer_errors(
    capability_id: str, payload: dict, output: object, *, allowed_sources: Iterable[str] | None = None
) -> list[str]:
    """What is wrong with a model's (schema-valid) answer to this request. `allowed_sources`: the
    ids a retrieving capability was given; its `sources` must be among them."""
    if not isinstance(output, dict):
        return []
    errors = [error for check in CHECKS.get(capability_id, ()) for error in check(payload, output)]
    if allowed_sources is not None:
        allowed = {str(source) for source in allowed_sources}
        invented = sorted({str(source) for source in values_at(output, "/sources/*")} - allowed)
        if invented:
            errors.append(f"sources cites {invented[:5]}, which were not retrieved for this request")
    return errors


def normalized(capability_id: str, payload: dict, output: dict) -> dict:
    """The answer with what the gateway computes itself put in place of what the model claimed."""
    if capability_id == "pricing.suggest":
        computed = deviation_pct(payload, output)
        if computed is not None:
            return output | {"deviation_pct": computed}
    return output
