"""Errors that reach the user as a readable message (CLI: one `error:` line, exit 2; GUI: a dialog).

Anything else that escapes is a bug and is shown with its traceback.
"""


class UserError(Exception):
    """Something the user can fix: a bad file, a bad setting, an unknown run."""


class CorpusError(UserError):
    """A text file or folder that cannot be used for training."""


class ConfigError(UserError):
    """A setting out of range. `field` names the setting so the GUI can show it beside the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class ModelFileError(UserError):
    """A model file that is missing, corrupt, or not ours."""
