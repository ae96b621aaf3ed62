"""Training settings: one frozen dataclass, validated in one place and passed whole (as nanoGPT's GPTConfig).

The GUI's spin boxes, the CLI's flags and the model file all go through `TrainConfig`; `validate()`
is the only place that decides what is allowed, and it names the field that is wrong.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, fields

from .errors import ConfigError

TOKENIZERS = ("words", "pretokenized")
PRECISIONS = ("auto", "fp32", "bf16")
SCHEDULES = ("plateau", "cosine")
DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d{1,3})?)$")


# Dropout "auto": (fewer training words than this → this dropout), else 0. Measured with `bench --only sizes`
# and README "Defaults by corpus size": small texts overfit within a few epochs, big ones do not.
AUTO_DROPOUT = ((100_000, 0.3),)


def auto_dropout(train_tokens: int) -> float:
    for limit, value in AUTO_DROPOUT:
        if train_tokens < limit:
            return value
    return 0.0


# What a stored config without these keys meant (it was written before they existed).
LEGACY = {"tie_weights": False, "device": "cpu", "processes": 1}


def stored_settings(data: dict) -> dict:
    """A stored run's or model's settings with the keys it predates filled in as it was made (see LEGACY)."""
    return {**LEGACY, **data}


@dataclass(frozen=True)
class TrainConfig:
    # pipeline sizes (design §1)
    seq_len: int = 10  # L: padding length / window of truncated backprop
    embed_dim: int = 50  # E
    hidden_size: int = 64  # H
    layers: int = 1
    vocab_size: int = 5000  # V cap, counting the reserved <pad> <unk> <bos>
    min_count: int = 1  # a word must occur this often to get its own id
    dropout: float | None = None  # None = "auto": by the size of the training text (AUTO_DROPOUT), set when a run starts
    tie_weights: bool = True  # the output layer shares the embedding matrix (through an H → E projection)
    # text handling
    tokenizer: str = "words"  # "words": lowercase words + punctuation; "pretokenized": split on spaces, one sequence per line
    lowercase: bool = True
    # optimisation (defaults chosen by measurement on WikiText-2, see README "Performance")
    epochs: int = 0  # 0 = "auto": until validation stops improving for `patience` epochs, within `budget`
    budget: float = 600.0  # seconds of training that "Epochs: auto" may take (its schedule is planned over it)
    batch_size: int = 128
    lr: float = 0.02
    clip: float = 1.0
    schedule: str = "cosine"  # learning rate: "plateau" halves it when validation stops improving; "cosine" decays it to 0 over the run
    val_fraction: float = 0.1
    seed: int = 0
    patience: int = 3  # early stopping: epochs without a better validation loss
    time_limit: float = 0.0  # seconds of training, 0 = no limit
    threads: int = 0  # torch intra-op threads, 0 = torch's default (one per core)
    checkpoint_minutes: float = 2.0  # a resumable checkpoint this often while training (and at every pause); 0 = only at a pause
    precision: str = "auto"  # "bf16": the dense layer's matrix products in bfloat16 while training; "auto": bf16 where the device does it well
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps (design §12); "auto": CUDA, else MPS, else CPU
    processes: int = 1  # training processes (torchrun + DistributedDataParallel); the global batch is batch_size

    def validate(self) -> "TrainConfig":
        """Raise ConfigError naming the first impossible value; return self so calls chain."""
        _int_range(self, "seq_len", 1, 1000)
        _int_range(self, "embed_dim", 1, 4096)
        _int_range(self, "hidden_size", 1, 4096)
        _int_range(self, "layers", 1, 8)
        _int_range(self, "vocab_size", 4, 2_000_000, why="it counts the 3 reserved tokens, so it needs at least one word")
        _int_range(self, "min_count", 1, 1_000_000)
        _int_range(self, "epochs", 0, 10_000)
        _int_range(self, "batch_size", 1, 65_536)
        _int_range(self, "seed", 0, 2**31 - 1)
        _int_range(self, "patience", 0, 10_000)
        _int_range(self, "threads", 0, 256)
        _int_range(self, "processes", 1, 1024)
        if self.dropout is not None:
            _float_range(self, "dropout", 0.0, 0.9)
        _float_range(self, "lr", 1e-7, 10.0)
        _float_range(self, "clip", 0.0, 1e6)
        _float_range(self, "val_fraction", 0.01, 0.5)
        _float_range(self, "time_limit", 0.0, 1e7)
        _float_range(self, "checkpoint_minutes", 0.0, 1440.0)
        _float_range(self, "budget", 0.0, 1e7)
        if self.auto_epochs and self.budget <= 0:
            raise ConfigError("budget", "budget must be above 0 seconds: Epochs auto trains until validation stops "
                                        "improving, within this time")
        if self.tokenizer not in TOKENIZERS:
            raise ConfigError("tokenizer", f"tokenizer must be one of {', '.join(TOKENIZERS)}, not {self.tokenizer!r}")
        if self.schedule not in SCHEDULES:
            raise ConfigError("schedule", f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError("precision", f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        check_device_name(self.device)
        if self.processes > self.batch_size:
            raise ConfigError("processes", f"processes ({self.processes}) cannot exceed the batch size ({self.batch_size}): "
                              "each process trains its own share of the batch's lanes")
        for name in ("lowercase", "tie_weights"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, f"{name} must be true or false")
        # The parameter count guards against absurd sizes that would exhaust memory before training starts.
        out = self.hidden_size * self.embed_dim if self.tie_weights else self.vocab_size * self.hidden_size
        params = self.vocab_size * (self.embed_dim + 1) + out + 3 * self.hidden_size * (
            self.embed_dim + self.hidden_size + 2
        ) * self.layers
        if params > 500_000_000:
            raise ConfigError("vocab_size", f"this model would have {params:,} parameters; the limit is 500,000,000")
        return self

    def resolved(self, train_tokens: int) -> "TrainConfig":
        """The settings a run trains with: "auto" dropout replaced by the value for this much training text."""
        if self.dropout is not None:
            return self
        return self.replace(dropout=auto_dropout(train_tokens))

    @property
    def auto_epochs(self) -> bool:
        """"Epochs: auto" (epochs = 0): train until validation stops improving, within `budget` seconds."""
        return self.epochs == 0

    @property
    def max_epochs(self) -> int:
        return self.epochs or 10_000

    @property
    def horizon(self) -> float:
        """Seconds the run may train (0 = no limit): the time limit, and for Epochs auto the budget."""
        limits = [t for t in (self.time_limit, self.budget if self.auto_epochs else 0.0) if t > 0]
        return min(limits) if limits else 0.0

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, legacy: bool = True) -> "TrainConfig":
        """Build from a stored dict, ignoring keys this version does not know (older/newer files).

        With `legacy`, a run or model stored before a field existed gets the value that matches how it was
        made, not today's default (models before `tie_weights` had their own output matrix). Without it
        (a user's remembered settings), missing fields take today's defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (stored_settings(data) if legacy else data).items() if k in known})


def _int_range(cfg: TrainConfig, name: str, lo: int, hi: int, why: str = "") -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"{name} must be a whole number, not {value!r}")
    if not lo <= value <= hi:
        extra = f" ({why})" if why else ""
        raise ConfigError(name, f"{name} must be between {lo:,} and {hi:,}, not {value:,}{extra}")


def _float_range(cfg: TrainConfig, name: str, lo: float, hi: float) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, f"{name} must be a number, not {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(name, f"{name} must be between {lo:g} and {hi:g}, not {value:g}")


def check_device_name(name: str) -> None:
    """ConfigError unless `name` is spelled as a device setting (auto, cpu, cuda, cuda:N, mps).
    Whether the device is present is core.devices.resolve_device's question (it needs torch)."""
    if not isinstance(name, str) or not DEVICE_RE.match(name):
        raise ConfigError("device", f"device must be auto, cpu, cuda, cuda:N or mps, not {name!r}")
