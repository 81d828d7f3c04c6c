"""Vertex AI: Gemini with JSON output against the capability's schema, and text embeddings."""

from routing.providers.vertex.client import VertexAdapter, VertexConfig

__all__ = ["VertexAdapter", "VertexConfig"]
