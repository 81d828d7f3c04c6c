from __future__ import annotations

from manifests.models import EdgeModel, EdgeModelManifest, SigningKeyVersion


def manifest_published() -> EdgeModelManifest | None:
    """The one published manifest (a partial unique index allows only one), with its key version."""
    return (
        EdgeModelManifest.objects.select_related("key_version")
        .filter(status=EdgeModelManifest.Status.PUBLISHED)
        .first()
    )


def edge_models_enabled() -> list[EdgeModel]:
    """The newest enabled version of each edge model: what the next manifest lists."""
    latest: dict[str, EdgeModel] = {}
    for model in EdgeModel.objects.filter(enabled=True).order_by("name", "-created_at", "-id"):
        latest.setdefault(model.name, model)
    return list(latest.values())


def signing_key_version_get(*, name: str) -> SigningKeyVersion | None:
    return SigningKeyVersion.objects.filter(name=name).first()
