"""Restoration records, rectification tasks and their summaries."""

from geo.progress.tasks import TASK_STATE

__all__ = ["TASK_STATE"]
