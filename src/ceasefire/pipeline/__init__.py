"""Services that run the monitoring core end to end: agreement loading and report ingest."""
