"""Models, engine and sessions, queries and migrations. Imports nothing else of PolicyWatch."""
