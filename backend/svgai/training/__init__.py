"""Training side of the quality predictor (torch): data, models, training, optimisation, export, validation.

Nothing on the runtime path imports this package; the runtime lives in ``svgai_quality``.
"""
