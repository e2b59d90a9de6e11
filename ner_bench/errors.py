"""User-facing errors: the CLI prints these as one line, without a traceback."""


class NerBenchError(Exception):
    """A problem with the user's input (a name, a file, an argument), explained in one line."""


class RecordingError(NerBenchError, ValueError):
    """A recording (or a split of one) failed validation; the message names the recording and the field."""


class PluginError(NerBenchError):
    """A plug-in name is unknown, or a plug-in file defines nothing usable."""


class ArgumentError(NerBenchError, ValueError):
    """An argument's value is out of range or malformed (``seeds=[0, 0]``, ``dim=0``)."""


class ArgumentTypeError(NerBenchError, TypeError):
    """An argument of the Python API has the wrong type (``seeds="0,1"``, ``methods=[42]``)."""
