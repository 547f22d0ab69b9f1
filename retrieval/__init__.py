"""Parse policy documents into clause trees, chunk, index and search them.

Knows nothing of HTTP, chat channels, the settings object or the task registry.
"""
