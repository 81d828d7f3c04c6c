"""anomaly.detect fallback: rule heuristics over front-office events.

Each rule that fires adds its weight to a score capped at 1. The rules follow the frauds small
hotels actually see: voids and refunds keyed in during the night audit when nobody watches,
overrides far below the rate, and repeated key-card failures on one door.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import format_money

DEFAULT_THRESHOLDS = {"refund_amount": 500.0, "void_count": 3, "keycard_failures": 5, "rate_override_pct": 30.0}
# Night audit runs while the property is thinly staffed: 23:00 to 05:59 local time.
NIGHT_HOURS = frozenset({23, 0, 1, 2, 3, 4, 5})
SUSPICIOUS_SCORE = 0.3
ANOMALOUS_SCORE = 0.7
# Rules about money taken out of the till justify proposing to block the user (a human decides).
_BLOCKING_CODES = frozenset({"night_void_spree", "void_spree", "refund_over_threshold", "refunds_total_over_threshold"})
_LOCAL_HOUR = re.compile(r"T(\d{2}):")

Reason = dict
Rule = Callable[[list[dict], dict, str], list[tuple[float, Reason]]]


def _local_hour(event: dict) -> int | None:
    match = _LOCAL_HOUR.search(event["at"])
    return int(match.group(1)) if match else None


def _reason(code: str, message: str, events: list[dict], subject: str | None = None) -> Reason:
    return {"code": code, "message": message, "event_ids": [event["event_id"] for event in events], "subject": subject}


def _by_key(events: list[dict], key: str) -> dict[str, list[dict]]:
    grouped = defaultdict(list)
    for event in events:
        if event.get(key):
            grouped[event[key]].append(event)
    return grouped


def _void_rules(events: list[dict], thresholds: dict, currency: str) -> list[tuple[float, Reason]]:
    voids = [event for event in events if event["type"] == "void"]
    findings = []
    for user, user_voids in sorted(_by_key(voids, "user_id").items()):
        at_night = [event for event in user_voids if _local_hour(event) in NIGHT_HOURS]
        if len(at_night) >= thresholds["void_count"]:
            findings.append(
                (
                    0.5,
                    _reason("night_void_spree", f"{len(at_night)} voids by {user} during night audit", at_night, user),
                )
            )
        elif len(user_voids) >= 2 * thresholds["void_count"]:
            findings.append((0.35, _reason("void_spree", f"{len(user_voids)} voids by {user}", user_voids, user)))
    return findings


def _refund_rules(events: list[dict], thresholds: dict, currency: str) -> list[tuple[float, Reason]]:
    limit = thresholds["refund_amount"]
    refunds = [event for event in events if event["type"] == "refund"]
    findings = []
    large = [event for event in refunds if event.get("amount", 0) > limit]
    if large:
        findings.append(
            (
                0.4,
                _reason(
                    "refund_over_threshold", f"{len(large)} refund(s) above {format_money(limit, currency)}", large
                ),
            )
        )
    for user, user_refunds in sorted(_by_key(refunds, "user_id").items()):
        total = sum(event.get("amount", 0) for event in user_refunds)
        if total > 2 * limit and len(user_refunds) > 1:
            findings.append(
                (
                    0.3,
                    _reason(
                        "refunds_total_over_threshold",
                        f"refunds by {user} total {format_money(total, currency)}",
                        user_refunds,
                        user,
                    ),
                )
            )
    return findings


def _missing_reason_rules(events: list[dict], thresholds: dict, currency: str) -> list[tuple[float, Reason]]:
    unexplained = [event for event in events if event["type"] in {"void", "refund"} and not event.get("reason")]
    if len(unexplained) < thresholds["void_count"]:
        return []
    return [(0.1, _reason("missing_reason", f"{len(unexplained)} voids or refunds without a reason", unexplained))]


def _cash_drawer_rules(events: list[dict], thresholds: dict, currency: str) -> list[tuple[float, Reason]]:
    """Drawer opened more often than payments were taken: the classic 'no sale' skim."""
    findings = []
    payments = _by_key([event for event in events if event["type"] == "payment"], "user_id")
    opens = _by_key([event for event in events if event["type"] == "cash_drawer_open"], "user_id")
    for user, user_opens in sorted(opens.items()):
        surplus = len(user_opens) - len(payments.get(user, ()))
        if surplus >= thresholds["void_count"]:
            findings.append(
                (
                    0.2,
                    _reason(
                        "drawer_open_without_payment",
                        f"cash drawer opened {surplus} more times than payments by {user}",
                        user_opens,
                        user,
                    ),
                )
            )
    return findings


def _rate_rules(events: list[dict], thresholds: dict, currency: str) -> list[tuple[float, Reason]]:
    deep_cuts = []
    for event in events:
        if event["type"] not in {"rate_override", "discount"}:
            continue
        original, amount = event.get("original_amount"), event.get("amount")
        if original and amount is not None and (original - amount) / original * 100 > thresholds["rate_override_pct"]:
            deep_cuts.append(event)
    if not deep_cuts:
        return []
    weight = 0.25 if len(deep_cuts) == 1 else 0.4
    message = f"{len(deep_cuts)} rate override(s) or discount(s) deeper than {thresholds['rate_override_pct']:g}%"
    return [(weight, _reason("deep_rate_override", message, deep_cuts))]


def _keycard_rules(events: list[dict], thresholds: dict, currency: str) -> list[tuple[float, Reason]]:
    failures = [event for event in events if event["type"] == "keycard_failure"]
    findings = []
    for room, room_failures in sorted(_by_key(failures, "room_number").items()):
        if len(room_failures) >= thresholds["keycard_failures"]:
            findings.append(
                (
                    0.35,
                    _reason(
                        "keycard_failures",
                        f"{len(room_failures)} failed key-card attempts on room {room}",
                        room_failures,
                        f"room:{room}",
                    ),
                )
            )
    return findings


_RULES: tuple[Rule, ...] = (
    _void_rules,
    _refund_rules,
    _missing_reason_rules,
    _rate_rules,
    _keycard_rules,
    _cash_drawer_rules,
)


def run(payload: dict, ctx: FallbackContext) -> dict:
    thresholds = {**DEFAULT_THRESHOLDS, **payload.get("thresholds", {})}
    currency = payload.get("currency", "")
    findings = [finding for rule in _RULES for finding in rule(payload["events"], thresholds, currency)]
    score = round(min(sum((weight for weight, _ in findings), 0.0), 1.0), 2)
    if score >= ANOMALOUS_SCORE:
        verdict = "anomalous"
    elif score >= SUSPICIOUS_SCORE:
        verdict = "suspicious"
    else:
        verdict = "normal"

    reasons = [reason for _, reason in findings][:20]
    subjects = sorted({reason["subject"] for reason in reasons if reason["subject"]})[:40]
    return {
        "verdict": verdict,
        "score": score,
        "reasons": [{key: value for key, value in reason.items() if key != "subject"} for reason in reasons],
        "recommend_block": verdict == "anomalous" and any(reason["code"] in _BLOCKING_CODES for reason in reasons),
        "subjects": [subject[:64] for subject in subjects],
    }
