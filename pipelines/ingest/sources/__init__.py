"""Providers, one module each in the style of dlt's verified sources: a `@dlt.source` taking
plain arguments, and `source_for(project, settings, request)`, which builds it from the
provider's config.yaml entry (its settings model: pipelines/config/providers.py).
schema.py is what they all yield; normalize.py and web.py what they share."""
