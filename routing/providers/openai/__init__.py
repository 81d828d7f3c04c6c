"""OpenAI: Chat Completions with structured output, and moderation."""

from routing.providers.openai.client import OpenAIAdapter, OpenAIConfig

__all__ = ["OpenAIAdapter", "OpenAIConfig"]
