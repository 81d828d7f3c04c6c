"""Cloud Translation (v3): translation.draft's fallback when the model chain fails."""

from routing.providers.translation.client import TranslationAdapter, TranslationConfig

__all__ = ["TranslationAdapter", "TranslationConfig"]
