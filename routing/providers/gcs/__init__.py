"""Cloud Storage: reads the media an input refers to (`gcs://bucket/object`, `gs://bucket/object`)."""

from routing.providers.gcs.client import GcsConfig, GcsMediaReader

__all__ = ["GcsConfig", "GcsMediaReader"]
