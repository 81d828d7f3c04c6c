"""Edge models: verified load, inference latency, memory (issue 10). Real models, real manifest.

A throwaway PostgreSQL + Valkey (bench/stack.py) holds a manifest signed with a local key; the
models are built exactly as `manage.py edge_models_build` does (MiniLM copied, the two small
models trained). Every inference below goes through `EdgeAdapter`, so each one includes the
verification on load (manifest read, RSA-PSS check, file digest by fingerprint) as in service.

`python -m bench.edge` prints Markdown lines for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import statistics
import tempfile
from pathlib import Path

from bench.stack import infrastructure, median_ms

SENTENCES = [
    "What time is check-out?",
    "Is breakfast included in the room rate?",
    "The air conditioning in 204 is broken.",
    "How do I issue a refund for a cancelled booking?",
    "Please send housekeeping to room 312 before noon.",
    "Where can guests park overnight, and is it free?",
    "Reset the key card encoder after a power cut.",
    "A guest asks for a late check-out until 15:00 on Friday; what does it cost and who approves it?",
]
ANOMALY_INPUT = {
    "currency": "USD",
    "events": [
        {"event_id": f"e{n}", "type": "void", "at": f"2025-03-02T0{n}:12:00+04:30", "user_id": "u-17", "amount": 50}
        for n in range(1, 5)
    ]
    + [{"event_id": "p1", "type": "payment", "at": "2025-03-02T14:00:00Z", "user_id": "u-3", "amount": 120}],
}


def _runs(function, repeat: int, runs: int) -> float:
    return statistics.median(median_ms(function, repeat) for _ in range(runs))


def _photo() -> str:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    pixels = np.linspace(90, 170, 800)[None, :].repeat(600, axis=0) + rng.normal(0, 6, (600, 800))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").save(buffer, format="JPEG", quality=85)
    return base64.b64encode(buffer.getvalue()).decode()


def _request(capability: str, model: str, payload: dict):
    from routing.providers.base import ProviderRequest, RequestContext

    context = RequestContext(
        tenant_id="", tenant_region="europe-west1", tenant_country="AF", locale="en", feature="bench", offline=False
    )
    return ProviderRequest(
        capability_id=capability,
        model=model,
        system_prompt=None,
        user_prompt=None,
        payload=payload,
        output_schema={},
        max_output_tokens=256,
        temperature=0.0,
        timeout_seconds=5.0,
        context=context,
    )


def measure(runs: int) -> list[str]:
    import psutil

    from manifests import building
    from manifests.services import manifest_publish
    from manifests.verification import verified_published_manifest
    from routing.providers.edge import EdgeAdapter
    from routing.providers.edge.client import EdgeModels

    building.edge_models_build()
    manifest_publish(actor="bench")
    process = psutil.Process()
    rss_before = process.memory_info().rss
    adapter = EdgeAdapter(EdgeModels(threads=int(os.environ.get("EDGE_ONNX_THREADS", "1"))))
    lines = []
    for name in (building.MINILM, building.ANOMALY, building.PHOTO_QUALITY):
        size = (Path(os.environ["EDGE_MODEL_DIR"]) / name / "model.onnx").stat().st_size
        cold = _runs(lambda name=name: EdgeModels().load(name, tenant_id=None), 3, runs)
        lines.append(
            f"- cold verified load of {name} ({size / 1e6:.1f} MB: manifest check, read, sha256, "
            f"InferenceSession): {cold:.1f} ms"
        )
    minilm = Path(os.environ["EDGE_MODEL_DIR"]) / building.MINILM / "model.onnx"
    hashing = _runs(lambda: hashlib.sha256(minilm.read_bytes()), 3, runs)
    lines.append(f"- sha256 of the MiniLM file alone (23 MB, read included): {hashing:.1f} ms")
    lines.append(
        f"- manifest verification (DB read, key from the key store, RSA-PSS verify, parse): "
        f"{_runs(verified_published_manifest, 100, runs):.2f} ms"
    )
    adapter.embed(["warm up"], tenant_id=None)
    lines.append(
        f"- warm verified load (session cached, file digest by fingerprint): "
        f"{_runs(lambda: adapter.models.load(building.MINILM, tenant_id=None), 100, runs):.2f} ms"
    )
    single = _runs(lambda: [adapter.embed([sentence], tenant_id=None) for sentence in SENTENCES], 5, runs)
    lines.append(f"- embedding one sentence (MiniLM int8, verified load included): {single / len(SENTENCES):.1f} ms")
    batch = [SENTENCES[i % len(SENTENCES)] for i in range(32)]
    per_batch = _runs(lambda: adapter.embed(batch, tenant_id=None), 3, runs)
    lines.append(f"- embedding a batch of 32 sentences: {per_batch:.0f} ms ({per_batch / 32:.1f} ms a sentence)")
    anomaly = _request("anomaly.detect", building.ANOMALY, ANOMALY_INPUT)
    lines.append(
        f"- anomaly.detect, 5 events / 2 subjects (features, model, verdict): "
        f"{_runs(lambda: adapter.complete(anomaly), 50, runs):.2f} ms"
    )
    photo = _request(
        "vision.photo_quality", building.PHOTO_QUALITY, {"image_base64": _photo(), "purpose": "housekeeping_proof"}
    )
    lines.append(
        f"- vision.photo_quality, 800x600 JPEG (decode, measure, model): "
        f"{_runs(lambda: adapter.complete(photo), 10, runs):.1f} ms"
    )
    lines.append(
        f"- RSS added by the three loaded models and their first inferences: "
        f"{(process.memory_info().rss - rss_before) / 2**20:.0f} MiB (process total "
        f"{process.memory_info().rss / 2**20:.0f} MiB)"
    )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="mlm-bench-edge-"))
    with infrastructure() as env:
        os.environ.update(
            env,
            EDGE_MODEL_DIR=str(workdir / "edge-models"),
            MANIFEST_LOCAL_KEY_DIR=str(workdir / "keys"),
            MANIFEST_SIGNER="local",
        )
        import django

        django.setup()
        threads = os.environ.get("EDGE_ONNX_THREADS", "1")
        print(f"Edge models (median of {args.runs} runs, EDGE_ONNX_THREADS={threads}):")
        for line in measure(args.runs):
            print(line)


if __name__ == "__main__":
    main()
