"""Anthropic Claude: the Messages API with a forced tool for JSON output, direct or on Vertex AI."""

from routing.providers.anthropic.client import AnthropicAdapter, AnthropicConfig

__all__ = ["AnthropicAdapter", "AnthropicConfig"]
