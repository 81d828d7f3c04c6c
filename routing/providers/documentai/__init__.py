"""Document AI: the ID-document / form parser that reads an identity document before PRMP_OCR_001."""

from routing.providers.documentai.client import DocumentAiAdapter, DocumentAiConfig

__all__ = ["DocumentAiAdapter", "DocumentAiConfig"]
