"""The catalog of platforms, fetching, extraction to clean text, and checking one document."""
