"""User-facing errors: the CLI prints these as one line, without a traceback."""


class NerBenchError(Exception):
    """A problem with the user's input (a name, a file, an argument), explained in one line."""


class RecordingError(NerBenchError, ValueError):
    """A recording (or a split of one) failed validation; the message names the recording and the field."""


class PluginError(NerBenchError):
    """A plug-in name is unknown, or a plug-in file defines nothing usable."""
