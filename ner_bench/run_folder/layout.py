"""The names of a run folder's parts: spelled here, and only here (see the package docstring)."""

CACHE = "cache"  # one embedding per fit: cache/<key[:2]>/<key>.npz
FITS = "fits"  # one status record per fit: fits/<key>.json
EVALUATIONS = "evaluations"  # one unit's task rows: evaluations/<key[:2]>/<key>.json
SUBMITIT = "submitit"  # SLURM and submitit-local logs: submitit/<job id>/
RESULTS_PARQUET = "results.parquet"  # the results table for the engine (column types kept)
RESULTS_CSV = "results.csv"  # the same table for people, with a versions id instead of the versions record
VERSIONS = "versions.json"  # the versions records of results.csv, by id
LOCK = ".lock"  # held by the run using the folder (claim.py)

#: the results files in the order they are read
RESULT_FILES = (RESULTS_PARQUET, RESULTS_CSV)
