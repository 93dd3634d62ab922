"""segwise.metrics (being written)."""
