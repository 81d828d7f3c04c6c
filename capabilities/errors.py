"""The API.md error codes the inference path raises."""

from melmastoon_ai.errors import ApplicationError, NotFound, SchemaViolation


class CapabilityUnknown(NotFound):
    code = "unknown_capability"


class InputSchemaViolation(SchemaViolation):
    """A capability's `input` fails its input schema."""


class ContentBlocked(ApplicationError):
    status = 422
    code = "content_blocked"


class RateLimited(ApplicationError):
    status = 429
    code = "rate_limited"
