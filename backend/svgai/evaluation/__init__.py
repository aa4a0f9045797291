"""Evaluations with real conversions only: ``svgai eval`` (``commands``), one image (``measure``), summaries (``summary``)."""

from svgai.evaluation.commands import eval_group

__all__ = ["eval_group"]
