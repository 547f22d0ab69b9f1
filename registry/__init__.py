"""The task registry (任务台账): tasks, departments, targets, milestones, progress, reminders.

Knows nothing of HTTP, chat channels or retrieval internals.
"""
