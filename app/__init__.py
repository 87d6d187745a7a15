"""The application shell: the command line, settings, logs, the demo and the one wiring place."""
