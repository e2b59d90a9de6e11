"""Test plug-in: recordings rebuilt from the neural activity and labels that NER release .npz files carry
(``neural_train/test``, ``continuous_index_train/test``), so that the published embeddings can be evaluated
through the public API without the release's .mat files. Used as ``--plugin tests/plugins/release_npz.py
--dataset release-npz --data-dir FOLDER``."""

from __future__ import annotations

import numpy as np

from ner_bench import Dataset, NerBenchError, Recording
from ner_bench.builtins.methods.precomputed import parse_file_name

TRIAL_BINS = 40
HEMISPHERES = {("Chewie", "2015"): "right", ("Chewie", "2016"): "left", ("Han", "2017"): "left"}


class ReleaseNpz(Dataset):
    name = "release-npz"
    description = "Recordings rebuilt from NER release .npz files (neural_* and continuous_index_*)"

    def load(self) -> list[Recording]:
        if self.data_dir is None or not self.data_dir.is_dir():
            raise NerBenchError(f"dataset {self.name!r}: --data-dir must be a folder of .npz files, got {self.data_dir}")
        return [self._recording(file) for file in sorted(self.data_dir.glob("*.npz"))]

    def _recording(self, file) -> Recording:
        info = parse_file_name(file)
        with np.load(file) as data:
            neural = np.concatenate([data["neural_train"], data["neural_test"]])
            labels = np.concatenate([data["continuous_index_train"], data["continuous_index_test"]])
        subject, date = info["subject"], info["date"]
        return Recording.from_trials(
            id=f"{subject}_{date.replace('-', '')}_{info['area']}", neural=neural, velocity=labels[:, :2] / 10.0,
            direction=np.rint(labels[:, 2] / 45.0).astype(int), angle=labels[:, 2], trial_length=TRIAL_BINS,
            dataset=self.name, subject=subject, date=date, area=info["area"], source=str(file),
            hemisphere=HEMISPHERES.get((subject, date[:4]), "unknown"))
