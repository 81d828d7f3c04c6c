"""Edge model fixtures for any test that asks: the real model files, built once per session, copied
into each test. Registered for the whole suite by `pytest_plugins` in tests/conftest.py.

`_pristine_models` copies all-MiniLM-L6-v2 (int8) and its tokenizer and trains the anomaly and
photo-quality models once (about 15 s); `edge` gives each test its own copy of those files, its
own local signing key directory, the models registered and a manifest signed and published, so
a test may tamper with its files or its manifest freely.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from manifests import building
from manifests.models import EdgeModelManifest
from manifests.services import manifest_publish
from routing.providers.registry import adapter_for


@pytest.fixture(scope="session")
def _pristine_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge-models-pristine")
    return root, building.prepare_files(root)


@dataclass
class EdgeSetup:
    model_dir: Path
    key_dir: Path
    manifest: EdgeModelManifest

    def path(self, model: str, file: str = "model.onnx") -> Path:
        """A file of the model's version in the published manifest (`<name>/<version>/<file>`)."""
        version = next(entry["version"] for entry in json.loads(self.manifest.body)["models"] if entry["name"] == model)
        return self.model_dir / model / version / file


@pytest.fixture
def edge_dirs(settings, tmp_path, _pristine_models):
    pristine, prepared = _pristine_models
    model_dir = tmp_path / "edge-models"
    shutil.copytree(pristine, model_dir)
    settings.EDGE_MODEL_DIR = model_dir
    settings.MANIFEST_LOCAL_KEY_DIR = tmp_path / "manifest-keys"
    settings.MANIFEST_SIGNER = "local"
    adapter_for.cache_clear()
    yield model_dir, prepared
    adapter_for.cache_clear()


@pytest.fixture
def edge(db, catalog, edge_dirs) -> EdgeSetup:
    model_dir, prepared = edge_dirs
    building.register(prepared)
    manifest = manifest_publish(actor="test")
    return EdgeSetup(model_dir=model_dir, key_dir=model_dir.parent / "manifest-keys", manifest=manifest)
