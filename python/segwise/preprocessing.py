"""segwise.preprocessing (being written)."""
