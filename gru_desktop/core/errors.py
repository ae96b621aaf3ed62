"""Errors that reach the user as a readable message (CLI: one `error:` line, exit 2; GUI: a dialog).

Anything else that escapes is a bug and is shown with its traceback.
"""
from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: a bad file, a bad setting, an unknown run."""


class CorpusError(UserError):
    """A text file or folder that cannot be used for training."""


class ConfigError(UserError):
    """Settings out of range. `field` names the (first) setting so the GUI can show it beside the field;
    `problems` has every wrong setting's message, by field (TrainConfig.validate reports them all at once)."""

    def __init__(self, field: str, message: str, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.problems = dict(problems) if problems else {field: message}

    @classmethod
    def of(cls, problems: dict[str, str]) -> ConfigError:
        """One error for several problems: the message lists them all, `field` is the first."""
        return cls(next(iter(problems)), "; ".join(problems.values()), problems)


class ModelFileError(UserError):
    """A model file that is missing, corrupt, or not ours."""
