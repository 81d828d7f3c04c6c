"""The deterministic embedder (hashed character n-grams), the last resort of the embedding chain.
The deterministic *completion* adapter runs the capabilities' fallbacks and lives with them
(`capabilities/fallbacks/adapter.py`), registered through `settings.PROVIDER_ADAPTERS`."""
