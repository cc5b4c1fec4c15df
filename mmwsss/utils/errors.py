"""The errors that bad input raises across mmwsss.

Each is an :class:`InputError` and also the built-in error that callers
expect (``ValueError``, ``KeyError``, ...), so that the tools end a user
mistake in one line while any other exception, a bug, keeps its
traceback (see :func:`mmwsss.utils.run_tool`)."""


class InputError(Exception):
    """Base of every error that bad input (a file, a setting, a
    command-line value) raises in mmwsss."""


class InputValueError(InputError, ValueError):
    """A value the user gave cannot be used."""


class InputKeyError(InputError, KeyError):
    """A name the user gave (a setting, a class, an id) is unknown."""

    def __str__(self) -> str:
        # KeyError quotes its message; the tools print it as it is.
        return str(self.args[0]) if self.args else ''


class InputTypeError(InputError, TypeError):
    """A config or checkpoint of another kind than the tool needs."""


class InputFileNotFoundError(InputError, FileNotFoundError):
    """A file or folder the user named, or that a step needs, is missing."""


class InputNotADirectoryError(InputError, NotADirectoryError):
    """A path that should be a folder is a file."""


class SettingsChangedError(InputValueError):
    """Results in a folder or work dir were made under other settings than
    the ones asked for now; the message names each changed setting."""
