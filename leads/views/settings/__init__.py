"""The workspace settings pages (owners and admins): routing, API keys, webhooks, audit."""
