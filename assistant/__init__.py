"""The core service: composes retrieval and the registry into cited answers.

Knows nothing of HTTP or Telegram; ``api/`` and ``bot/`` are thin channels over it.
"""
