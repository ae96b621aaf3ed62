"""Export a trained model as ONNX, verified in onnxruntime before it is written.

The graph is the one-step module of `step_module`: inputs `token` (1,) int64 and `state` (layers, 1, H)
float32, outputs `probs` (V,) and `state_out` (layers, 1, H). The vocabulary and the training config are
the model's metadata properties `vocab.json` and `config.json`:

    session = onnxruntime.InferenceSession(path)
    meta = session.get_modelmeta().custom_metadata_map
    vocab = json.loads(meta["vocab.json"])
    probs, state = session.run(None, {"token": np.array([2]), "state": state})   # <bos> first

PyTorch's GRU is ONNX's GRU with `linear_before_reset=1`; exporters were reported to get GRUs wrong
(onnxscript #2852, pytorch #189225). So the exported bytes are run in onnxruntime on real inputs beside
PyTorch, and the export is refused if the largest difference exceeds 1e-4. The `torch.export`-based
exporter (`dynamo=True`) is tried first; if it fails or does not match, the older TorchScript-based one.
onnx and onnxruntime are an optional extra: `pip install 'gru-desktop[onnx]'`.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import atomic_write
from .modelfile import LoadedModel
from .step_module import ExportError, Parity, check_parity, example_inputs, metadata, step_module

INPUTS = ["token", "state"]
OUTPUTS = ["probs", "state_out"]
EXPORTERS = {"dynamo": "torch.onnx (dynamo, via torch.export)", "torchscript": "torch.onnx (TorchScript-based)"}
MISSING = "ONNX export needs the optional packages onnx, onnxscript and onnxruntime: pip install 'gru-desktop[onnx]'"


@dataclass(frozen=True)
class OnnxExport:
    path: Path
    parity: Parity
    exporter: str  # a key of EXPORTERS
    bytes: int


def _require() -> None:
    try:  # optional dependencies (the `onnx` extra), so imported only when an ONNX export is asked for
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ExportError(MISSING) from None


def onnx_bytes(loaded: LoadedModel, exporter: str) -> bytes:
    """The ONNX file's content from one exporter, with the vocabulary and config as metadata."""
    import onnx  # optional (the `onnx` extra): checked by _require() before

    module, args = step_module(loaded), example_inputs(loaded)
    quiet, log = io.StringIO(), logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)  # e.g. "torchvision is not installed. Skipping torchvision::nms"
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.ExitStack() as restore:
        restore.callback(log.setLevel, level)
        warnings.simplefilter("ignore")  # the exporters narrate and warn about their own internals
        if exporter == "dynamo":
            try:  # optional: the dynamo exporter's own dependency
                import onnxscript  # noqa: F401
            except ImportError:
                raise ExportError(MISSING) from None
            program = torch.onnx.export(module, args, dynamo=True, input_names=INPUTS, output_names=OUTPUTS,
                                        verbose=False, optimize=True)
            if program is None:  # the dynamo exporter returns its program; None only without dynamo
                raise ExportError("the dynamo ONNX exporter returned no program")
            model = program.model_proto
        else:
            folder = restore.enter_context(tempfile.TemporaryDirectory(prefix="gru-desktop-onnx-"))
            path = os.path.join(folder, "model.onnx")  # the TorchScript-based exporter writes to a path
            torch.onnx.export(module, args, path, dynamo=False, input_names=INPUTS, output_names=OUTPUTS)
            model = onnx.load(path)
    onnx.helper.set_model_props(model, metadata(loaded))
    return model.SerializeToString()


def onnxruntime_step(data: bytes):
    """The ONNX bytes as a step function (token, state) → (probs, state), run by onnxruntime on the CPU."""
    import onnxruntime  # optional (the `onnx` extra): checked by _require() before

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # a few tiny steps: threads only add noise
    session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])

    def step(token: torch.Tensor, state: torch.Tensor):
        probs, new_state = session.run(OUTPUTS, {"token": token.numpy(), "state": state.numpy()})
        return torch.from_numpy(probs), torch.from_numpy(new_state)

    return step


def export_onnx(loaded: LoadedModel, path: str | os.PathLike) -> OnnxExport:
    """Export with the first exporter whose file matches PyTorch in onnxruntime, then write it atomically.

    ExportError (nothing written) if onnx/onnxruntime are missing or no exporter's file matches; OSError
    (missing folder, no permission) is left to the caller."""
    _require()
    problems = []
    for exporter in EXPORTERS:
        try:
            data = onnx_bytes(loaded, exporter)
            parity = check_parity(loaded, onnxruntime_step(data), "ONNX file run in onnxruntime")
        except ExportError as exc:
            problems.append(f"{EXPORTERS[exporter]}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - an exporter or onnxruntime failing on this model: try the next
            problems.append(f"{EXPORTERS[exporter]} failed: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        with atomic_write(path, "wb") as fh:
            fh.write(data)
        return OnnxExport(Path(path), parity, exporter, len(data))
    raise ExportError("refused, nothing was written: " + "; ".join(problems))


__all__ = ["INPUTS", "OUTPUTS", "EXPORTERS", "OnnxExport", "onnx_bytes", "onnxruntime_step", "export_onnx"]
