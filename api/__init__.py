"""HTTP channel: a FastAPI app over the core services. Never imports ``bot``."""
