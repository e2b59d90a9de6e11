import numpy as np
import pytest

from support.recordings import make_recording
from ner_bench import Recording, RecordingError, chronological_split


def test_from_trials_derives_trials_time_and_position(toy_recording):
    rec = toy_recording
    assert rec.n_trials == 16 and rec.trial_length == 10 and rec.n_neurons == 6
    assert rec.position_derived
    first = rec.trial == 0
    np.testing.assert_allclose(rec.position[first][0], 0.0)
    np.testing.assert_allclose(np.diff(rec.position[first], axis=0), rec.velocity[first][1:] * rec.bin_size, atol=1e-12)
    assert rec.labels.shape == (rec.n_bins, 3)
    np.testing.assert_allclose(rec.labels[:, :2], 10 * rec.velocity)


def test_nan_is_rejected_naming_recording_and_field():
    rec = make_recording()
    neural = rec.neural.copy()
    neural[5, 2] = np.nan
    with pytest.raises(RecordingError, match=r"recording 'toy'.*field 'neural'.*non-finite.*bin 5"):
        rec.replace(neural=neural)


def test_mismatched_lengths_are_rejected():
    rec = make_recording()
    with pytest.raises(RecordingError, match=r"field 'velocity' has shape \(159, 2\)"):
        rec.replace(velocity=rec.velocity[:-1])


def test_partial_trial_is_rejected():
    rec = make_recording()
    with pytest.raises(RecordingError, match="not a whole number of 10-bin trials"):
        Recording.from_trials(id="cut", neural=rec.neural[:-3], velocity=rec.velocity[:-3],
                              direction=rec.direction[:-3], trial_length=10)


def test_single_direction_is_rejected():
    rec = make_recording()
    with pytest.raises(RecordingError, match="field 'direction'.*at least two"):
        rec.replace(direction=np.zeros_like(rec.direction))


def test_direction_changing_within_trial_is_rejected():
    rec = make_recording()
    direction = rec.direction.copy()
    direction[3] = (direction[3] + 1) % 8
    with pytest.raises(RecordingError, match="constant per trial"):
        rec.replace(direction=direction)


def test_source_path_appears_in_errors():
    rec = make_recording(source="/data/file.mat")
    with pytest.raises(RecordingError, match="/data/file.mat"):
        rec.replace(angle=np.full(rec.n_bins, np.inf))


def test_chronological_split_is_first_80_percent():
    rec = make_recording(n_trials=17)
    split = chronological_split(rec)
    assert split.train_trials.tolist() == list(range(13))
    assert split.test_trials.tolist() == list(range(13, 17))
    train = split.train(rec)
    assert set(train.trial.tolist()) == set(range(13)) and train.n_bins == 130


def test_split_of_another_recording_is_rejected():
    split = chronological_split(make_recording(id="a"))
    with pytest.raises(RecordingError, match="does not fit recording 'b'"):
        split.train(make_recording(id="b"))


def test_without_behavior_blanks_behaviour_keeps_neural(toy_recording):
    blank = toy_recording.without_behavior()
    np.testing.assert_array_equal(blank.neural, toy_recording.neural)
    assert not blank.velocity.any() and not blank.angle.any()


def test_data_hash_changes_with_data(toy_recording):
    neural = toy_recording.neural.copy()
    neural[0, 0] += 1
    assert toy_recording.data_hash() != toy_recording.replace(neural=neural).data_hash()
    assert toy_recording.data_hash() == make_recording().data_hash()
