"""The built-in parameter-choosing methods, each a plugin registered exactly like third-party ones.

``defaults`` (VTracer's own parameters), ``feature_mapping`` (Method 1), ``regression`` (Method 2),
``ppo`` (Method 3) and ``search`` (predictor-guided search); ``base`` holds what they share (call
statistics, measured performance, artifacts) and ``objective`` the ranking every method and the router
use. Only runtime code lives here: fitting is ``svgai.training`` (``svgai methods fit``), which writes
the artifacts and measured figures into the methods folder (shipped: ``models/methods/``).
"""
