"""Cloud Vision: vision.photo_quality's cloud path (image properties and SafeSearch)."""

from routing.providers.vision.client import VisionAdapter, VisionConfig

__all__ = ["VisionAdapter", "VisionConfig"]
