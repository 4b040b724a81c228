"""Alert ingestion, incidents, their timelines and metrics."""
