"""Rule bodies, one module per area (document, relationships, packages, licences, …)."""
