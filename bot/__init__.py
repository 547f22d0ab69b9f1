"""Telegram channel over the core services. Never imports ``api``."""
