"""Training of the project's own edge models on documented synthetic data (deterministic seeds).

Both are scikit-learn GradientBoostingClassifiers converted with skl2onnx (ZipMap off, so the
ONNX outputs are `label` and a `probabilities` tensor); HistGradientBoosting does not convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from skl2onnx import to_onnx
from sklearn.metrics import roc_auc_score

TARGET_OPSET = 17


def export_onnx(model, example: np.ndarray, path: Path) -> None:
    onnx_model = to_onnx(
        model, example[:1].astype(np.float32), options={id(model): {"zipmap": False}}, target_opset=TARGET_OPSET
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onnx_model.SerializeToString())


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    holdout_roc_auc: float
    holdout_accuracy: float


def fit_and_export(model, features: np.ndarray, labels: np.ndarray, path: Path) -> TrainingReport:
    """Fit on all but the first fifth, score on that held-out fifth, write the ONNX file."""
    holdout = len(labels) // 5
    model.fit(features[holdout:], labels[holdout:])
    probabilities = model.predict_proba(features[:holdout])[:, 1]
    report = TrainingReport(
        examples=len(labels),
        holdout_roc_auc=round(float(roc_auc_score(labels[:holdout], probabilities)), 4),
        holdout_accuracy=round(float(((probabilities >= 0.5) == labels[:holdout]).mean()), 4),
    )
    export_onnx(model, features, path)
    return report
