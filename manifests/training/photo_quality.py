"""The photo-quality model (`melmastoon-edge-photo-quality-v1`) and the synthetic photos it learns from.

Each synthetic "room photo" is a 320x240 grey scene: a lit wall gradient, furniture-like
rectangles and ellipses at random grey levels, and fine texture. Then a random mix of the
defects listing photos have: under/over exposure (gain), washed-out contrast, camera shake or
focus blur (Gaussian blur), sensor noise. The label is "acceptable" when every defect is mild
(gain 0.7-1.5, contrast kept at 55 % or more, blur radius under 1.2 px). The model never sees
the defect parameters: it learns from the measurements the gateway takes of any photo
(manifests/features.py: mean luminance, contrast, clipped highlights and shadows,
log Laplacian variance). Resolution is a rule per purpose, not learned. Seeded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from sklearn.ensemble import GradientBoostingClassifier

from manifests.features import PHOTO_FEATURES, measure_grey
from manifests.training import TrainingReport, fit_and_export

SEED = 20261202
PHOTOS = 1200
SIZE = (320, 240)


def _scene(rng) -> Image.Image:
    width, height = SIZE
    light = rng.uniform(90, 170)
    gradient = np.linspace(light - 30, light + 30, width)[None, :].repeat(height, axis=0)
    image = Image.fromarray(np.clip(gradient, 0, 255).astype(np.uint8), mode="L")
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(4, 12)):
        x0, y0 = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        box = (x0, y0, x0 + int(rng.integers(15, 160)), y0 + int(rng.integers(15, 120)))
        shade = int(rng.integers(20, 235))
        (draw.rectangle if rng.random() < 0.6 else draw.ellipse)(box, fill=shade)
    texture = rng.normal(0, rng.uniform(2, 10), (height, width))
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.float64) + texture, 0, 255).astype(np.uint8), mode="L")


def _degrade(rng, image: Image.Image) -> tuple[np.ndarray, bool]:
    gain = float(np.exp(rng.uniform(np.log(0.3), np.log(2.6))))
    contrast = float(rng.uniform(0.2, 1.2))
    blur = float(rng.choice([0.0, rng.uniform(0, 1.2), rng.uniform(1.2, 5)]))
    noise = float(rng.uniform(0, 8))
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(image, dtype=np.float64)
    pixels = (pixels - pixels.mean()) * contrast + pixels.mean()
    pixels = pixels * gain + rng.normal(0, noise, pixels.shape)
    acceptable = 0.7 <= gain <= 1.5 and contrast >= 0.55 and blur < 1.2
    return np.clip(np.round(pixels), 0, 255), acceptable


def synthetic_photos(*, count: int = PHOTOS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for _ in range(count):
        pixels, acceptable = _degrade(rng, _scene(rng))
        rows.append(measure_grey(pixels, SIZE).features())
        labels.append(int(acceptable))
    return np.array(rows, dtype=np.float32), np.array(labels)


def train_photo_quality_model(path: Path, *, seed: int = SEED, count: int = PHOTOS) -> TrainingReport:
    features, labels = synthetic_photos(count=count, seed=seed)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=seed)
    return fit_and_export(model, features, labels, path)


SIGNATURE = {
    "inputs": {"X": {"dtype": "float32", "shape": ["photos", len(PHOTO_FEATURES)], "features": list(PHOTO_FEATURES)}},
    "outputs": {
        "label": {"dtype": "int64", "shape": ["photos"]},
        "probabilities": {"dtype": "float32", "shape": ["photos", 2], "classes": ["poor", "acceptable"]},
    },
}
