"""In-process solvers and tabular models: the `in_process` provider (settings.PROVIDER_ADAPTERS).

They run in the gateway's own process, in the call phase (no transaction, no connection held), with
their time bounded; a failure (no route in time, too little history) is a ProviderError, so the
router moves on to the next model of the chain and, last, to the deterministic fallback.
"""
