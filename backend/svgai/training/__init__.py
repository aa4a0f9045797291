"""The training side: everything that fits or trains, and may import torch, scikit-learn or gymnasium.

The quality predictor (data, models, training, optimisation, export, validation) and the
parameter-choosing methods (``methods``: Methods 1 and 2 and the measurement of every method;
``policy``: Method 3, PPO; ``fit``: the ``svgai methods fit`` command). Nothing on the runtime path
imports this package; the runtime lives in ``svgai.methods`` and ``svgai_quality``.
"""
