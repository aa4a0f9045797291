"""Optimised variants of a trained model: int8 (ONNX Runtime and torch dynamic quantization) and pruned.

Whether each one pays off is not assumed here: ``svgai model validate`` measures size, speed and
accuracy of every variant side by side.
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path
from typing import TypeVar

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from torch import nn
from torch.nn.utils import prune

M = TypeVar("M", bound=nn.Module)


def quantize_onnx(source: Path, target: Path) -> Path:
    """ONNX Runtime dynamic quantization: weights to int8 (QInt8), activations quantized on the fly."""
    logging.getLogger("root").setLevel(logging.ERROR)
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return target


def quantize_torch(model: nn.Module) -> nn.Module:
    """torch dynamic int8 quantization of the Linear layers (for the TorchScript export)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated upstream; it still works
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)


def prune_l1(model: M, amount: float) -> tuple[M, float]:
    """L1 unstructured pruning: zero the ``amount`` smallest weights of every Conv2d and Linear layer.

    Returns the pruned copy and its measured sparsity over those layers' weights.
    """
    pruned = copy.deepcopy(model)
    layers = [m for m in pruned.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    for layer in layers:
        prune.l1_unstructured(layer, name="weight", amount=amount)
        prune.remove(layer, "weight")
    zeros = sum(int((layer.weight == 0).sum()) for layer in layers)
    total = sum(layer.weight.numel() for layer in layers)
    return pruned, zeros / total
