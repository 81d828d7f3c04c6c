"""The anomaly classifier (`melmastoon-edge-anomaly-v3`) and the synthetic hotel events it learns from.

The generator writes one staff member's (or one room's) events over a shift, from profiles of
ordinary work and of the frauds small hotels see (the same ones the deterministic rules name):

ordinary:  day receptionist (check-ins/-outs, payments, the odd void or discount with a reason,
           a key card that fails once or twice); night auditor (a few payments, drawer opens
           while reconciling, rarely a void with a reason); busy day (many events, several
           explained voids); housekeeping room (key-card successes, one failure).
fraud:     night void spree (voids during the night audit, mostly unexplained); refund skimming
           (refunds far above the refund threshold, or many just below it); sweetheart rates
           (overrides/discounts of 40-90 %); key-card probing (many failures on one door); drawer
           abuse (drawer opens at night without sales); folio tampering (adjustments and no-show
           waivers).

Labels are the profile's. Profiles overlap on purpose (an explained void at night, a single
large refund), so the classifier learns combinations, not one threshold. Seeded: the same
model (and the same sha256) comes out on every machine with the same library versions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from manifests.features import ANOMALY_FEATURES, anomaly_features
from manifests.training import TrainingReport, fit_and_export

SEED = 20261201
WINDOWS = 6000
FRAUD_SHARE = 0.3
REFUND_THRESHOLD = 500.0


def _event(
    rng, kind: str, *, night: bool, amount: float | None = None, original: float | None = None, reason: bool = True
) -> dict:
    hour = int(rng.choice([23, 0, 1, 2, 3, 4, 5])) if night else int(rng.integers(7, 22))
    event = {
        "event_id": f"e{rng.integers(1_000_000)}",
        "type": kind,
        "at": f"2025-06-01T{hour:02d}:{int(rng.integers(60)):02d}:00+00:00",
        "user_id": "u",
    }
    if amount is not None:
        event["amount"] = round(float(amount), 2)
    if original is not None:
        event["original_amount"] = round(float(original), 2)
    if reason and kind in ("void", "refund"):
        event["reason"] = "guest request"
    return event


def _some(rng, kind, count, **kwargs) -> list[dict]:
    return [_event(rng, kind, **kwargs) for _ in range(int(count))]


def _ordinary(rng) -> list[dict]:
    profile = rng.integers(4)
    rate = rng.uniform(60, 400)
    if profile == 0:  # day receptionist
        events = (
            _some(rng, "check_in", rng.integers(3, 15), night=False)
            + _some(rng, "check_out", rng.integers(3, 15), night=False)
            + _some(rng, "payment", rng.integers(2, 12), night=False, amount=rate)
        )
        events += _some(rng, "void", rng.integers(0, 2), night=False, amount=rate * 0.3, reason=rng.random() < 0.8)
        events += [
            _event(rng, "discount", night=False, amount=rate * rng.uniform(0.85, 0.97), original=rate)
            for _ in range(rng.integers(0, 3))
        ]
        events += _some(rng, "keycard_failure", rng.integers(0, 3), night=False)
        events += _some(rng, "refund", rng.integers(0, 2), night=False, amount=rng.uniform(10, 0.8 * REFUND_THRESHOLD))
    elif profile == 1:  # night auditor
        events = (
            _some(rng, "payment", rng.integers(0, 5), night=True, amount=rate)
            + _some(rng, "cash_drawer_open", rng.integers(1, 4), night=True)
            + _some(rng, "void", rng.integers(0, 2), night=True, amount=rate * 0.2, reason=True)
            + _some(rng, "folio_adjustment", rng.integers(0, 2), night=True)
        )
    elif profile == 2:  # busy day: many events, explained voids
        events = (
            _some(rng, "check_in", rng.integers(10, 30), night=False)
            + _some(rng, "payment", rng.integers(10, 30), night=False, amount=rate)
            + _some(rng, "void", rng.integers(2, 6), night=False, amount=rate * 0.5, reason=True)
            + _some(rng, "rate_override", rng.integers(0, 3), night=False, amount=rate * 0.9, original=rate)
            + _some(rng, "no_show_waiver", rng.integers(0, 2), night=False)
        )
    else:  # housekeeping round on rooms
        events = _some(rng, "keycard_success", rng.integers(2, 20), night=False) + _some(
            rng, "keycard_failure", rng.integers(0, 3), night=False
        )
    return events or [_event(rng, "check_in", night=False)]


def _fraud(rng) -> list[dict]:
    profile = rng.integers(6)
    rate = rng.uniform(60, 400)
    cover = _some(rng, "payment", rng.integers(0, 6), night=False, amount=rate)
    if profile == 0:  # night void spree
        events = _some(
            rng, "void", rng.integers(3, 10), night=True, amount=rate * rng.uniform(0.3, 1), reason=rng.random() < 0.3
        )
    elif profile == 1:  # refund skimming
        if rng.random() < 0.5:
            events = _some(
                rng,
                "refund",
                rng.integers(1, 4),
                night=rng.random() < 0.5,
                amount=rng.uniform(1.2, 4) * REFUND_THRESHOLD,
                reason=rng.random() < 0.4,
            )
        else:
            events = _some(
                rng,
                "refund",
                rng.integers(4, 10),
                night=rng.random() < 0.5,
                amount=rng.uniform(0.6, 0.95) * REFUND_THRESHOLD,
                reason=rng.random() < 0.4,
            )
    elif profile == 2:  # sweetheart rates
        events = [
            _event(
                rng,
                str(rng.choice(["rate_override", "discount"])),
                night=rng.random() < 0.4,
                amount=rate * rng.uniform(0.1, 0.6),
                original=rate,
            )
            for _ in range(rng.integers(2, 6))
        ]
    elif profile == 3:  # key-card probing on one door
        events = _some(rng, "keycard_failure", rng.integers(6, 25), night=rng.random() < 0.6)
    elif profile == 4:  # drawer abuse
        events = _some(rng, "cash_drawer_open", rng.integers(5, 15), night=True)
    else:  # folio tampering
        events = _some(rng, "folio_adjustment", rng.integers(3, 9), night=rng.random() < 0.5) + _some(
            rng, "no_show_waiver", rng.integers(2, 6), night=False
        )
    return cover + events


def synthetic_windows(*, count: int = WINDOWS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for _ in range(count):
        fraud = rng.random() < FRAUD_SHARE
        events = _fraud(rng) if fraud else _ordinary(rng)
        rows.append(anomaly_features(events, refund_threshold=REFUND_THRESHOLD))
        labels.append(int(fraud))
    return np.array(rows, dtype=np.float32), np.array(labels)


def train_anomaly_model(path: Path, *, seed: int = SEED, count: int = WINDOWS) -> TrainingReport:
    features, labels = synthetic_windows(count=count, seed=seed)
    model = GradientBoostingClassifier(n_estimators=120, max_depth=3, learning_rate=0.1, random_state=seed)
    return fit_and_export(model, features, labels, path)


SIGNATURE = {
    "inputs": {
        "X": {"dtype": "float32", "shape": ["subjects", len(ANOMALY_FEATURES)], "features": list(ANOMALY_FEATURES)}
    },
    "outputs": {
        "label": {"dtype": "int64", "shape": ["subjects"]},
        "probabilities": {"dtype": "float32", "shape": ["subjects", 2], "classes": ["ordinary", "fraud"]},
    },
}
