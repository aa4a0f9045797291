"""``LocalQualityPredictor``: predicted quality (docs/quality.md) and SVG size of a VTracer conversion, on ONNX Runtime.

An image is embedded once (encoder graph); each parameter set then costs only the small head graph,
so thousands of candidates are scored in milliseconds. torch is never imported here.

The model folder is found by ``svgai.model_folder.find_model_dir``: the ``model_dir`` argument,
``$SVGAI_MODEL_DIR``, the repository's ``models/``, then ``$XDG_DATA_HOME/svgai/models``.

The folder's ``config.json`` (written by ``svgai model export`` / ``validate``) lists each
artifact's sha256; a file that does not match, is missing, or whose graph does not take the inputs
the manifest describes is refused with ``ModelUnavailable``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import onnxruntime as ort

from svgai.errors import InvalidParams, ModelUnavailable
from svgai.images import ImageSource, load_rgba
from svgai.model_folder import MANIFEST, PREFERENCE, find_model_dir
from svgai.params import ENCODED_DIM, ENCODED_FEATURES, encode_many
from svgai_quality.features import FEATURE_DIM, IMAGE_SIZE, prepare


class Prediction(NamedTuple):
    """Predictions for a batch of parameter sets on one image."""

    quality: np.ndarray
    """``(n,)`` float32 predicted quality (docs/quality.md) in [0, 1]."""
    svg_bytes: np.ndarray
    """``(n,)`` float64 predicted SVG size in bytes."""


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelUnavailable(
            f"{path}: no model manifest (expected config.json from `svgai model export`)"
        ) from None
    except (OSError, ValueError) as e:
        raise ModelUnavailable(f"{path}: unreadable model manifest ({e})") from None
    _check_entries(manifest, path)
    inputs = manifest.get("input")
    params_input = inputs.get("params") if isinstance(inputs, dict) else None
    encoding = params_input.get("encoding") if isinstance(params_input, dict) else None
    if encoding is not None and encoding != list(ENCODED_FEATURES):
        raise ModelUnavailable(
            f"{path}: the model was trained on the parameter encoding {encoding}, this svgai encodes "
            f"{list(ENCODED_FEATURES)}; retrain it (svgai model train) and export it (svgai model export)"
        )
    return manifest


def _check_entries(manifest: object, path: Path) -> None:
    """Refuse a manifest whose entries have the wrong shape, naming the entry and the shape expected."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("variants"), dict) \
            or not isinstance(manifest.get("artifacts"), dict):
        raise ModelUnavailable(f"{path}: not a quality-model manifest (no 'variants'/'artifacts' objects)")
    for name, files in manifest["variants"].items():
        if not isinstance(files, dict) or not all(isinstance(f, str) for f in files.values()):
            raise ModelUnavailable(
                f"{path}: variant {name!r} is {files!r}; expected file names by graph, "
                "e.g. {'encoder': 'student.encoder.onnx', 'head': 'student.head.onnx'}"
            )
    for name, entry in manifest["artifacts"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise ModelUnavailable(f"{path}: artifact {name!r} is {entry!r}; expected {{'sha256': '<hex digest>'}}")
    preference = manifest.get("preference", list(PREFERENCE))
    if not isinstance(preference, list) or not all(isinstance(p, str) for p in preference):
        raise ModelUnavailable(f"{path}: 'preference' is {preference!r}; expected a list of variant names")


def check_arguments(cache_size: object, intra_op_threads: object, variant: object) -> None:
    """Raise ``InvalidParams`` unless the predictor's arguments are in range (see ``LocalQualityPredictor``)."""
    most = os.cpu_count() or 1
    if intra_op_threads is not None and not _int_in(intra_op_threads, 1, most):
        raise InvalidParams(
            f"intra_op_threads={intra_op_threads!r} is invalid; accepted: None or an integer from 1 to {most} "
            "(this machine's CPUs)", key="intra_op_threads")
    if not _int_in(cache_size, 0, math.inf):
        raise InvalidParams(f"cache_size={cache_size!r} is invalid; accepted: an integer >= 0", key="cache_size")
    if variant is not None and not isinstance(variant, str):
        raise InvalidParams(f"variant={variant!r} is invalid; accepted: None or a variant name such as 'distilled'",
                            key="variant")


def _int_in(value: object, low: int, high: float) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def verified_bytes(folder: Path, name: str, manifest: Mapping[str, Any]) -> bytes:
    """The file's bytes, if its sha256 is the manifest's; else ``ModelUnavailable``."""
    expected = manifest["artifacts"].get(name, {}).get("sha256")
    if expected is None:
        raise ModelUnavailable(f"{folder / name}: not listed in {MANIFEST}; refusing an unrecorded artifact")
    try:
        data = (folder / name).read_bytes()
    except OSError as e:
        raise ModelUnavailable(f"{folder / name}: cannot be read ({e.strerror or e})") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelUnavailable(
            f"{folder / name}: sha256 {actual[:16]}… does not match the manifest's {expected[:16]}…; "
            "the file was changed or corrupted — re-export the model or restore the file"
        )
    return data


def _session(data: bytes, name: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning worker threads steal the core a busy neighbour (VTracer, a web server) needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises its own exception types for bad graphs
        raise ModelUnavailable(f"{name}: ONNX Runtime cannot load it ({e})") from None


def _check_inputs(session: ort.InferenceSession, name: str, expected: dict[str, list[int | None]]) -> None:
    """Refuse a graph whose inputs do not have the names and fixed dimensions the runtime feeds."""
    shapes = {i.name: i.shape for i in session.get_inputs()}
    for input_name, dims in expected.items():
        shape = shapes.get(input_name)
        fixed = [d if isinstance(d, int) else None for d in shape or []]
        if (
            shape is None
            or len(fixed) != len(dims)
            or any(e is not None and e != f for e, f in zip(dims, fixed, strict=True))
        ):
            raise ModelUnavailable(
                f"{name}: input {input_name!r} has shape {shape}, expected {['batch', *dims[1:]]}; "
                "the model was exported for another input specification"
            )


class LocalQualityPredictor:
    """Predict the quality and SVG size for an image and parameter sets, without converting.

    ``variant`` picks one of the manifest's variants ("distilled", "quantized", "pruned"); by default
    the first available in the manifest's preference order. ``cache_size`` bounds the embedding
    LRU (``0`` keeps none); ``intra_op_threads`` sets ONNX Runtime's threads (default one each for
    the encoder and the head; see the comment in ``__init__``), at most ``os.cpu_count()``: more
    threads than CPUs only wait on each other. Out-of-range arguments raise ``InvalidParams``; a
    missing, damaged or malformed model raises ``ModelUnavailable``. Safe to call from many threads.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        variant: str | None = None,
        cache_size: int = 256,
        intra_op_threads: int | None = None,
    ) -> None:
        check_arguments(cache_size, intra_op_threads, variant)
        self.model_dir = find_model_dir(model_dir)
        self.manifest: dict[str, Any] = read_manifest(self.model_dir)
        self.variant = variant or self._first_available()
        files = self.manifest["variants"].get(self.variant)
        if not isinstance(files, dict) or not {"encoder", "head"} <= set(files):
            raise ModelUnavailable(
                f"{self.model_dir}: no variant {self.variant!r}; available: {', '.join(self.manifest['variants'])}"
            )
        self._encoder = _session(
            verified_bytes(self.model_dir, files["encoder"], self.manifest),
            files["encoder"],
            intra_op_threads or 1,
        )
        # One thread each by default: `svgai bench` (its "ONNX Runtime threads" table) measured a new image
        # faster with one thread than with two on a 2-core machine (pool hand-offs cost more than a small CNN gains);
        # the head is a few small matrix products, where one thread wins even at 1024 rows.
        self._head = _session(
            verified_bytes(self.model_dir, files["head"], self.manifest), files["head"], intra_op_threads or 1
        )
        _check_inputs(
            self._encoder,
            files["encoder"],
            {"pixels": [None, 3, IMAGE_SIZE, IMAGE_SIZE], "features": [None, FEATURE_DIM]},
        )
        _check_inputs(self._head, files["head"], {"params": [None, ENCODED_DIM]})
        self.embedding_dim = int(self._encoder.get_outputs()[0].shape[1])
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._paths: dict[tuple[str, int, int], bytes] = {}
        self._lock = threading.Lock()

    def _first_available(self) -> str:
        for name in self.manifest.get("preference", PREFERENCE):
            files = self.manifest["variants"].get(name, {})
            if files and all((self.model_dir / f).is_file() for f in files.values()):
                return str(name)
        raise ModelUnavailable(
            f"{self.model_dir}: none of the manifest's model variants has its files present"
        )

    def embed(self, image: ImageSource) -> np.ndarray:
        """The ``(E,)`` float32 embedding of an image, computed once per image content (LRU cache)."""
        key, raster = self._key(image)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        if raster is None:
            raster = load_rgba(image)
        prepared = prepare(raster)
        (embedding,) = self._encoder.run(
            None, {"pixels": prepared.pixels[None], "features": prepared.features[None]}
        )
        result: np.ndarray = embedding[0]
        result.setflags(write=False)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def _key(self, image: ImageSource) -> tuple[bytes, np.ndarray | None]:
        """Cache key = hash of the RGBA pixels; a file path is remembered by (path, mtime, size)."""
        if isinstance(image, str | os.PathLike):
            try:
                stat = os.stat(image)
            except OSError:
                stat = None
            if stat is not None:
                file_key = (os.fspath(image), stat.st_mtime_ns, stat.st_size)
                with self._lock:
                    known = self._paths.get(file_key)
                if known is not None:
                    return known, None
                rgb = load_rgba(image)
                key = self._hash(rgb)
                with self._lock:
                    if len(self._paths) >= 4 * self.cache_size:
                        self._paths.clear()
                    self._paths[file_key] = key
                return key, rgb
        rgb = load_rgba(image)
        return self._hash(rgb), rgb

    @staticmethod
    def _hash(rgb: np.ndarray) -> bytes:
        digest = hashlib.blake2b(rgb.tobytes(), digest_size=16)
        digest.update(repr(rgb.shape).encode())
        return digest.digest()

    def clear_cache(self) -> None:
        """Forget every cached embedding (the next call for any image encodes it again)."""
        with self._lock:
            self._cache.clear()
            self._paths.clear()

    def predict(
        self, image: ImageSource, params_list: Sequence[Mapping[str, Any]] | np.ndarray
    ) -> Prediction:
        """Predict for many parameter sets on one image in one batch.

        ``params_list`` is a sequence of parameter mappings (validated, partial sets completed from
        VTracer's defaults) or an already encoded ``(n, ENCODED_DIM)`` array from
        ``svgai.params.encode_many`` — the fast path for scoring thousands of candidates.
        """
        encoded = _encoded(params_list)
        embedding = self.embed(image)
        if encoded.shape[0] == 0:
            return Prediction(np.zeros(0, np.float32), np.zeros(0, np.float64))
        rows = encoded.shape[0]
        # One row (the common single query) needs no copy of the embedding.
        repeated = embedding[None] if rows == 1 else np.tile(embedding, (rows, 1))
        ssim, log_bytes = self._head.run(None, {"embedding": repeated, "params": encoded})
        return Prediction(np.clip(ssim, 0.0, 1.0), np.exp(log_bytes, dtype=np.float64))

    def predict_quality(self, image_path: ImageSource, params: Mapping[str, Any]) -> float:
        """Predicted quality of converting ``image_path`` with ``params`` (one candidate; ``predict`` scores many)."""
        return float(self.predict(image_path, [params]).quality[0])

    def predict_svg_bytes(self, image: ImageSource, params: Mapping[str, Any]) -> float:
        """Predicted size in bytes of the SVG VTracer would write for ``image`` with ``params``."""
        return float(self.predict(image, [params]).svg_bytes[0])


def _encoded(params_list: Sequence[Mapping[str, Any]] | np.ndarray) -> np.ndarray:
    if isinstance(params_list, np.ndarray):
        if (
            params_list.ndim != 2
            or params_list.shape[1] != ENCODED_DIM
            or not np.all(np.isfinite(params_list))
        ):
            raise InvalidParams(
                f"encoded parameter sets must be a finite (n, {ENCODED_DIM}) array from svgai.params.encode_many, "
                f"got shape {params_list.shape}"
            )
        return np.ascontiguousarray(params_list, dtype=np.float32)
    if isinstance(params_list, Mapping):
        raise InvalidParams("predict takes a list of parameter sets; use predict_quality for one set")
    return encode_many(params_list)
