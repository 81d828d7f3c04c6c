"""Usage, cost and traces people can see: the usage report over `ai_calls_fact`, the inference
browser, the cost dashboard (API, Django admin for platform staff, /console/ for a hotel's admins)."""
