"""The built-in parameter-choosing methods, each a plugin registered exactly like third-party ones.

``defaults`` (VTracer's own parameters), ``feature_mapping`` (Method 1), ``regression`` (Method 2),
``ppo`` (Method 3) and ``search`` (predictor-guided search). Their artifacts live in
``models/methods/`` and are written, with measured metrics, by ``svgai methods fit``.
"""
