"""Speech-to-Text: recognises a short voice command before PRMP_STT_001 maps it to an action."""

from routing.providers.speech.client import SpeechAdapter, SpeechConfig

__all__ = ["SpeechAdapter", "SpeechConfig"]
