"""The project's built-in plug-ins: the repository folders methods/, datasets/ and tasks/ are installed
as ``ner_bench.builtins.methods`` etc., so no top-level ``methods`` module is ever importable."""
