"""The API.md error codes the inference path raises."""

from melmastoon_ai.errors import ApplicationError, NotFound


class CapabilityUnknown(NotFound):
    code = "unknown_capability"


class InputSchemaViolation(ApplicationError):
    status = 422
    code = "input_schema_violation"


class ContentBlocked(ApplicationError):
    status = 422
    code = "content_blocked"


class RateLimited(ApplicationError):
    status = 429
    code = "rate_limited"
