"""Training settings: one frozen dataclass, validated in one place and passed whole (as nanoGPT's GPTConfig).

Each field carries what the rest of the program needs to know about it, once, in `setting(...)`'s metadata:
its label and help (the settings form's row and tooltip, the CLI's --help), its range or choices (what
`validate()` allows, the form's spin-box bounds and combo items, the CLI's choices) and its "auto" value.
`SETTINGS` reads them back as `Setting`s. `problems()` lists every impossible value at once, by field;
`validate()` raises one ConfigError carrying all of them (its `field` is the first).
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
DEVICES = ("auto", "cpu", "cuda", "mps")  # what the form offers; cuda:N is also allowed (DEVICE_RE)
DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d{1,3})?)$")
MAX_PARAMETERS = 500_000_000  # guards against absurd sizes that would exhaust memory before training starts


# Dropout "auto": (fewer training words than this → this dropout), else 0. Measured with `bench --only sizes`
# and README "Defaults by corpus size": small texts overfit within a few epochs, big ones do not.
AUTO_DROPOUT = ((100_000, 0.3),)


def auto_dropout(train_tokens: int) -> float:
    return _by_size(AUTO_DROPOUT, train_tokens, 0.0)


def _by_size(table: tuple[tuple[int, float], ...], train_tokens: int, above: float) -> float:
    """The value of the first (limit, value) row whose limit this much training text is below, else `above`."""
    for limit, value in table:
        if train_tokens < limit:
            return value
    return above


# Learning rate "auto": (fewer training words than this → this rate), else AUTO_LR_ABOVE. Measured (README
# "Defaults by corpus size"): at 0.02 a text of 30–100 k words overfits its first epoch and early stopping ends
# the run at epoch 4 with the best at epoch 1 (validation perplexity 414 at 90 k words); at 0.005 it keeps
# improving (180). From ~270 k words on, 0.02 is best (86.8 against 91.0 at 0.01 and 102.9 at 0.005).
AUTO_LR = ((150_000, 0.005),)
AUTO_LR_ABOVE = 0.02


def auto_lr(train_tokens: int) -> float:
    return _by_size(AUTO_LR, train_tokens, AUTO_LR_ABOVE)


# What a stored config without these keys meant (it was written before they existed).
LEGACY = {"tie_weights": False, "device": "cpu", "processes": 1}


def stored_settings(data: dict) -> dict:
    """A stored run's or model's settings with the keys it predates filled in as it was made (see LEGACY)."""
    return {**LEGACY, **data}


_NO_AUTO = object()


def setting(default, label: str, help: str, *, range: tuple | None = None, choices: tuple[str, ...] = (),
            pattern: tuple[re.Pattern, str] | None = None, auto=_NO_AUTO, why: str = "",
            flag: tuple[str, str] | None = None):
    """A TrainConfig field with its metadata. `range` (lo, hi) inclusive; `choices` the allowed strings, or
    the ones offered when `pattern` (regex, how to spell it) decides what is allowed; `auto` the value that
    means "decide for me" (shown as auto); `why` explains the range in its error; `flag` (name, help) a
    boolean's command-line switch, which sets the opposite of the default."""
    meta = {"label": label, "help": help, "range": range, "choices": tuple(choices), "pattern": pattern,
            "why": why, "flag": flag}
    if auto is not _NO_AUTO:
        meta["auto"] = auto
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class TrainConfig:
    # pipeline sizes (design §1)
    seq_len: int = setting(10, "Padding length L", "words per training window: sentences are cut into windows "
                           "of L ids, shorter ones padded with zeros", range=(1, 1000))
    embed_dim: int = setting(50, "Embedding size E", "numbers learned for each word (the embedding layer's width)",
                             range=(1, 4096))
    hidden_size: int = setting(64, "GRU hidden size H", "units in each GRU layer: the memory the network carries "
                               "from word to word", range=(1, 4096))
    layers: int = setting(1, "GRU layers", "stacked GRU layers (1 is plenty for small texts)", range=(1, 8))
    vocab_size: int = setting(5000, "Vocabulary size V", "the most frequent words that get their own id, counting "
                              "<pad>, <unk> and <bos>; rarer words become <unk>", range=(4, 2_000_000),
                              why="it counts the 3 reserved tokens, so it needs at least one word")
    min_count: int = setting(1, "Minimum word count", "a word needs this many occurrences to get an id",
                             range=(1, 1_000_000))
    dropout: float | None = setting(None, "Dropout", "share of embeddings and GRU outputs dropped while training; "
                                    "auto: by the size of the text, 0.3 below 100 k words, else 0",
                                    range=(0.0, 0.9), auto=None)  # resolved when a run starts (AUTO_DROPOUT)
    tie_weights: bool = setting(True, "Output layer", "the dense layer scores each word with its embedding row "
                                "(after an H → E projection) instead of a V × H matrix of its own: half the "
                                "parameters, and it generalises better",
                                flag=("untied", "give the output layer its own V × H matrix instead of sharing "
                                                "the embedding's"))
    # text handling
    tokenizer: str = setting("words", "Tokenizer", "words: lowercase words and punctuation; pretokenized: split "
                             "on spaces, one sentence per line (WikiText)", choices=TOKENIZERS)
    lowercase: bool = setting(True, "Lowercase all words", "treat The and the as one word",
                              flag=("keep-case", "do not lowercase"))
    # optimisation (defaults chosen by measurement on WikiText-2, see README "Performance")
    epochs: int = setting(0, "Epochs", "passes over the training text; auto: until validation stops improving "
                          "for 'patience' epochs, within the time budget", range=(0, 10_000), auto=0)
    budget: float = setting(600.0, "Time budget (s)", "the most seconds Epochs auto may train; its "
                            "learning-rate schedule is planned over it", range=(0.0, 1e7))
    batch_size: int = setting(128, "Batch size", "windows trained on together in one step", range=(1, 65_536))
    lr: float | None = setting(None, "Learning rate", "Adam's starting step size (see the schedule); auto: by the "
                               "size of the text, 0.005 below 150 k words, else 0.02", range=(1e-7, 10.0),
                               auto=None)  # resolved when a run starts (AUTO_LR)
    clip: float = setting(1.0, "Gradient clipping", "largest gradient norm per step (0 = off)", range=(0.0, 1e6))
    schedule: str = setting("cosine", "Learning-rate schedule", "cosine: decay the learning rate to 0 over the "
                            "planned epochs (or the time limit); plateau: halve it whenever validation stops "
                            "improving", choices=SCHEDULES)
    val_fraction: float = setting(0.1, "Validation share", "share of sentences held out to measure how well the "
                                  "model generalises", range=(0.01, 0.5))
    seed: int = setting(0, "Seed", "the same seed gives the same split, weights and results", range=(0, 2**31 - 1))
    patience: int = setting(3, "Early-stopping patience", "stop after this many epochs without a better "
                            "validation loss (0 = never stop early)", range=(0, 10_000))
    time_limit: float = setting(0.0, "Time limit (s)", "stop after this many seconds of training (0 = no limit)",
                                range=(0.0, 1e7))
    threads: int = setting(0, "Torch threads", "CPU threads for training (0 = one per core)", range=(0, 256))
    checkpoint_minutes: float = setting(2.0, "Checkpoint every (min)", "write a resumable checkpoint this often "
                                        "while training, so a crash or power cut loses at most this much "
                                        "(0 = only when pausing and at epoch ends)", range=(0.0, 1440.0))
    checkpoint_epochs: bool = setting(True, "Checkpoint at epoch ends", "write a resumable checkpoint when each "
                                      "epoch ends, so a run killed after an epoch resumes from there",
                                      flag=("no-epoch-checkpoints", "write no checkpoint at epoch ends (only every "
                                                                    "--checkpoint-minutes and at a pause)"))
    precision: str = setting("auto", "Dense precision", "bf16: the dense layer's matrix products in bfloat16 "
                             "while training, faster on CPUs with AVX512-BF16 or AMX; auto: bf16 where the "
                             "device does it well", choices=PRECISIONS)
    device: str = setting("auto", "Device", "where training runs: auto = CUDA, else Apple MPS, else the CPU "
                          "(also cuda:N); typing suggestions always run on the CPU", choices=DEVICES,
                          pattern=(DEVICE_RE, "auto, cpu, cuda, cuda:N or mps"))
    processes: int = setting(1, "Processes", "training processes sharing each batch (torchrun + "
                             "DistributedDataParallel; gloo on CPU, nccl on CUDA)", range=(1, 1024))

    def problems(self) -> dict[str, str]:
        """Every impossible value, by field, in field order (empty when the settings are valid)."""
        out = {s.name: msg for s in SETTINGS.values() if (msg := s.problem(getattr(self, s.name)))}
        if out:  # the rules below combine fields: only once each is right on its own
            return out
        if self.auto_epochs and self.budget <= 0:
            out["budget"] = ("budget must be above 0 seconds: Epochs auto trains until validation stops improving, "
                             "within this time")
        if self.processes > self.batch_size:
            out["processes"] = (f"processes ({self.processes}) cannot exceed the batch size ({self.batch_size}): "
                                "each process trains its own share of the batch's lanes")
        if (params := self.parameter_count()) > MAX_PARAMETERS:
            out["vocab_size"] = f"this model would have {params:,} parameters; the limit is {MAX_PARAMETERS:,}"
        return out

    def validate(self) -> TrainConfig:
        """Raise one ConfigError listing every impossible value (`field`: the first); return self so calls chain."""
        if problems := self.problems():
            raise ConfigError.of(problems)
        return self

    def parameter_count(self) -> int:
        """numel() of core/model.py's model at this V (the setting, an upper bound): the embedding (V, E), the
        dense bias V and matrix (V, H), or with tied weights only the H → E projection; the GRU's first layer
        reads E, each layer above reads the H below: 3 gates × (W_ih, W_hh, b_ih, b_hh) per layer."""
        V, E, H = self.vocab_size, self.embed_dim, self.hidden_size
        out = H * E if self.tie_weights else V * H
        gru = 3 * H * (E + H + 2) + 3 * H * (2 * H + 2) * (self.layers - 1)
        return V * (E + 1) + out + gru

    def resolved(self, train_tokens: int) -> TrainConfig:
        """The settings a run trains with: "auto" dropout and learning rate replaced by the values for this much
        training text."""
        if self.dropout is not None and self.lr is not None:
            return self
        return self.replace(dropout=auto_dropout(train_tokens) if self.dropout is None else self.dropout,
                            lr=auto_lr(train_tokens) if self.lr is None else self.lr)

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

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, legacy: bool = True) -> TrainConfig:
        """Build from a stored dict, ignoring keys this version does not know (older/newer files).

        With `legacy`, a run or model stored before a field existed gets the value that matches how it was
        made, not today's default (models before `tie_weights` had their own output matrix). Without it
        (a user's remembered settings), missing fields take today's defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (stored_settings(data) if legacy else data).items() if k in known})


@dataclass(frozen=True)
class Setting:
    """One TrainConfig field as the form, the CLI and `validate` see it (read from the field's metadata)."""

    name: str
    kind: type  # int, float, str or bool
    default: object
    label: str
    help: str
    range: tuple | None = None  # (lo, hi), inclusive
    choices: tuple[str, ...] = ()
    pattern: tuple[re.Pattern, str] | None = None
    has_auto: bool = False
    auto: object = None  # the value that means "auto" (when has_auto)
    why: str = ""
    flag: tuple[str, str] | None = None

    def problem(self, value) -> str:
        """What is wrong with `value` for this setting, or ''."""
        name = self.name
        if self.has_auto and value is None and self.auto is None:
            return ""
        if self.kind is bool:
            return "" if isinstance(value, bool) else f"{name} must be true or false"
        if self.pattern is not None:
            regex, spelled = self.pattern
            return "" if isinstance(value, str) and regex.match(value) else f"{name} must be {spelled}, not {value!r}"
        if self.choices:
            return "" if value in self.choices else f"{name} must be one of {', '.join(self.choices)}, not {value!r}"
        if self.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{name} must be a whole number, not {value!r}"
        if self.kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                                   or not math.isfinite(value)):
            return f"{name} must be a number, not {value!r}"
        if self.range is not None:
            lo, hi = self.range
            if not lo <= value <= hi:
                if self.kind is int:
                    return f"{name} must be between {lo:,} and {hi:,}, not {value:,}" + (f" ({self.why})" if self.why else "")
                return f"{name} must be between {lo:g} and {hi:g}, not {value:g}" + (f" ({self.why})" if self.why else "")
        return ""


def _settings() -> dict[str, Setting]:
    out = {}
    for f in fields(TrainConfig):
        m = f.metadata
        kind = type(f.default) if f.default is not None else float  # dropout's default is None ("auto")
        out[f.name] = Setting(f.name, kind, f.default, m["label"], m["help"], m["range"], m["choices"],
                              m["pattern"], "auto" in m, m.get("auto"), m["why"], m["flag"])
    return out


SETTINGS: dict[str, Setting] = _settings()


def check_device_name(name: str) -> None:
    """ConfigError unless `name` is spelled as a device setting (auto, cpu, cuda, cuda:N, mps).
    Whether the device is present is core.devices.resolve_device's question (it needs torch)."""
    if problem := SETTINGS["device"].problem(name):
        raise ConfigError("device", problem)


# --- probes: the user's own prefixes shown with the sample suggestions each epoch (core/samples.py) ----------
# Checked here, torch-free, so `train --probe ""` is refused before anything heavy is imported.
MAX_PROBE_CHARS = 500
MAX_PROBES = 20


def check_probes(probes: list[str]) -> list[str]:
    """The user's probe texts, stripped; ConfigError for an empty or absurd one."""
    out = []
    for p in probes:
        text = " ".join(str(p).split())
        if not text:
            raise ConfigError("probe", "probe must be some text to complete, not empty")
        if len(text) > MAX_PROBE_CHARS:
            raise ConfigError("probe", f"probe must be at most {MAX_PROBE_CHARS} characters")
        out.append(text)
    if len(out) > MAX_PROBES:
        raise ConfigError("probe", f"at most {MAX_PROBES} probes")
    return out
