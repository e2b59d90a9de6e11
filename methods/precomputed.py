"""Embeddings computed elsewhere, read from ``.npz`` files laid out like the NER release's
(``data_NER/.../NPZ/Chewie_150629_embed_20000itr_M1.npz``): ``cebra_veldir_train`` and
``cebra_veldir_test`` (bins x dim embeddings of the training and test trials, trial-major, in order) and
``continuous_index_train`` / ``continuous_index_test`` (bins x 3 labels ``[10*vx, 10*vy, angle]``).

``path`` is a folder (its ``*.npz`` files) or a glob. A file belongs to the recording whose subject, date
and area its name gives: ``SUBJECT_DATE_..._AREA.npz``, the date's last six digits read as YYMMDD (the
release writes ``150629``, ``20150629`` and, for some Han files, ``201171201``); an area token may carry a
suffix of digits (the release's ``M10``). Before an embedding is used, the file's training labels and row
counts must match the recording's training split, and its neural activity (``neural_train/test``, when
present) the recording's.

    ner-bench run --methods "precomputed[path=data_NER/M1 4+6+6/NER_Chewie/NPZ]" --dataset reaching ...
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import numpy as np

from ner_bench import Method, NerBenchError, Recording

EMBEDDING_KEYS = ("cebra_veldir_train", "cebra_veldir_test")
LABEL_KEYS = ("continuous_index_train", "continuous_index_test")
NEURAL_KEYS = ("neural_train", "neural_test")
FILE_NAME = re.compile(r"^(?P<subject>[A-Za-z]+)_(?P<date>\d{6,})_(?:.*_)?(?P<area>[A-Za-z]+\d*)\.npz$")


def parse_file_name(file: Path) -> dict[str, str] | None:
    """``{"subject", "date" (YYYY-MM-DD), "area"}`` from a release file name, or None."""
    match = FILE_NAME.match(file.name)
    if not match:
        return None
    yymmdd = match["date"][-6:]
    return {"subject": match["subject"], "date": f"20{yymmdd[:2]}-{yymmdd[2:4]}-{yymmdd[4:]}",
            "area": match["area"]}


def area_matches(token: str, area: str) -> bool:
    return token == area or (token.startswith(area) and token[len(area):].isdigit())


class Precomputed(Method):
    name = "precomputed"
    description = "Embeddings read from .npz files laid out like the NER release's (path=FOLDER or GLOB)"
    in_all = False
    #: ``label`` names the source in leaderboards, e.g. precomputed[path=...,label=NER (published)]
    defaults = {"path": "", "label": ""}
    #: fitted attributes: the recording's file, its embedded bins (training then test) and, when the file
    #: holds them, its neural activity (else None)

    def __init__(self, budget: str = "quick", **params) -> None:
        super().__init__(budget, **params)
        if not self.params["path"]:
            raise NerBenchError("method 'precomputed': parameter 'path' is required, a folder of .npz files or "
                                "a glob, e.g. precomputed[path=data_NER/M1 4+6+6/NER_Chewie/NPZ]")
        self.params["path"] = str(Path(self.params["path"]).expanduser().absolute())  # cache keys stay valid
        candidate_files(self.params["path"])  # a wrong path fails now, once, not in every fit

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "Precomputed":
        self.file_ = self.file_for(train)
        arrays = load(self.file_)
        n_train = len(arrays["continuous_index_train"])
        if train.n_bins != n_train:
            raise NerBenchError(f"{self.file_}: field 'continuous_index_train' has {n_train} rows, but the "
                                f"training split of recording {train.id!r} has {train.n_bins} bins")
        check_labels(self.file_, arrays["continuous_index_train"], train)
        self.embedding_ = np.concatenate([arrays[key] for key in EMBEDDING_KEYS])
        self.neural_ = (np.concatenate([arrays[key] for key in NEURAL_KEYS])
                       if all(key in arrays for key in NEURAL_KEYS) else None)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        """The file's training then test embeddings: the recording's bins under the chronological split."""
        self.check_fitted()
        if recording.n_bins != len(self.embedding_):
            raise NerBenchError(f"{self.file_}: holds {len(self.embedding_)} embedded bins (training + test), "
                                f"but recording {recording.id!r} has {recording.n_bins}")
        if self.neural_ is not None and (self.neural_.shape != recording.neural.shape or not np.allclose(
                self.neural_, recording.neural, rtol=1e-5, atol=1e-6)):
            raise NerBenchError(f"{self.file_}: fields 'neural_train'/'neural_test' {self.neural_.shape} do not "
                                f"match the neural activity of recording {recording.id!r} "
                                f"{recording.neural.shape}: the file belongs to another recording")
        return self.embedding_

    def file_for(self, recording: Recording) -> Path:
        """The one file whose name gives the recording's subject, date and area."""
        files = candidate_files(self.params["path"])
        matches = [f for f in files if (info := parse_file_name(f)) and info["subject"] == recording.subject
                   and info["date"] == recording.date and area_matches(info["area"], recording.area)]
        if len(matches) != 1:
            problem = ("no file matches" if not matches else
                       f"{len(matches)} files ({', '.join(m.name for m in matches)}) match")
            raise NerBenchError(
                f"method 'precomputed': {problem} under {self.params['path']} for recording "
                f"{recording.id!r} (subject {recording.subject}, date {recording.date}, area {recording.area}); "
                f"expected one named SUBJECT_YYMMDD_..._AREA.npz; found {[f.name for f in files][:10]}")
        return matches[0]


def candidate_files(path: str) -> list[Path]:
    folder = Path(path)
    files = sorted(folder.glob("*.npz")) if folder.is_dir() else sorted(Path(f) for f in glob.glob(path))
    if not files:
        raise NerBenchError(f"method 'precomputed': parameter 'path' {path!r} names no .npz file "
                            "(expected a folder of .npz files or a glob)")
    return files


def load(file: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(file) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as error:
        raise NerBenchError(f"{file}: not a readable .npz file ({error})") from None
    missing = [key for key in EMBEDDING_KEYS + LABEL_KEYS if key not in arrays]
    if missing:
        raise NerBenchError(f"{file}: missing field(s) {missing}; expected {list(EMBEDDING_KEYS + LABEL_KEYS)}")
    for embedding_key, label_key in zip(EMBEDDING_KEYS, LABEL_KEYS):
        embedding, labels = arrays[embedding_key], arrays[label_key]
        if embedding.ndim != 2 or len(embedding) != len(labels) or not np.isfinite(embedding).all():
            raise NerBenchError(f"{file}: field {embedding_key!r} has shape {embedding.shape}; expected finite "
                                f"(bins x dim) values, one row per row of {label_key!r} ({len(labels)})")
    return arrays


def check_labels(file: Path, labels: np.ndarray, train: Recording) -> None:
    """The file's training labels must be the recording's ``[10*vx, 10*vy, angle]``, bin by bin."""
    expected = train.labels
    if labels.shape != expected.shape or not np.allclose(labels, expected, rtol=1e-6, atol=1e-6):
        if labels.shape != expected.shape:
            detail = f"shape {labels.shape}, expected {expected.shape}"
        else:
            row = int(np.argwhere(~np.isclose(labels, expected, rtol=1e-6, atol=1e-6))[0][0])
            detail = f"first difference at row {row}: file {labels[row].tolist()}, recording {expected[row].tolist()}"
        raise NerBenchError(f"{file}: field 'continuous_index_train' does not match the training labels "
                            f"[10*vx, 10*vy, angle] of recording {train.id!r} ({detail})")
