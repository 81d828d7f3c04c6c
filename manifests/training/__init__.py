"""Training of the project's own edge models on documented synthetic data (deterministic seeds).

Both are scikit-learn GradientBoostingClassifiers converted with skl2onnx (ZipMap off, so the
ONNX outputs are `label` and a `probabilities` tensor); HistGradientBoosting does not convert.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from skl2onnx import to_onnx

TARGET_OPSET = 17


def export_onnx(model, example: np.ndarray, path: Path) -> None:
    onnx_model = to_onnx(model, example[:1].astype(np.float32), options={id(model): {"zipmap": False}},
                         target_opset=TARGET_OPSET)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onnx_model.SerializeToString())
