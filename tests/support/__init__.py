"""Helpers shared by the tests (not tests themselves): data builders, reference implementations and the
optional-dependency blocker. Imported as ``support.<module>`` (``tests`` is on ``pythonpath``)."""
