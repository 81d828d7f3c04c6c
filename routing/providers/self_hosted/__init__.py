"""Self-hosted models behind OpenAI-compatible servers, located through the deployment registry."""

from routing.providers.self_hosted.client import SelfHostedAdapter, SelfHostedConfig

__all__ = ["SelfHostedAdapter", "SelfHostedConfig"]
