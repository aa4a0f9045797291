"""svgai's local quality predictor: quality (docs/quality.md) and SVG size of a VTracer conversion, predicted on ONNX Runtime.

``LocalQualityPredictor`` loads the shipped model (see ``svgai_quality.predictor`` for where it is
found) and never imports torch.
"""

from svgai_quality.predictor import LocalQualityPredictor, Prediction

__all__ = ["LocalQualityPredictor", "Prediction"]
