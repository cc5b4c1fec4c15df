import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

import mmwsss  # noqa: F401


def test_history_buffer_and_numpy_load_weights_only(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(0.5)
    path = str(tmp_path / 'ok.pth')
    torch.save(
        dict(
            hub=buffer,
            array=np.arange(3, dtype=np.float64),
            scalar=np.float32(1.5)), path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['hub'].current() == 0.5
    assert loaded['hub'].mean() == 0.5
    np.testing.assert_array_equal(loaded['array'], np.arange(3))
    assert loaded['scalar'] == np.float32(1.5)


def test_other_globals_stay_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(call=os.system), path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        torch.load(path, weights_only=True)


def test_init_model_reads_the_checkpoint_once(tiny_checkpoint, monkeypatch):
    """The fit check and the loading share one read of the file, and the
    weights that arrive are the checkpoint's."""
    from mmengine.runner import CheckpointLoader

    from mmwsss.apis import init_model
    calls = []
    load = CheckpointLoader.load_checkpoint

    def counting(*args, **kwargs):
        calls.append(args[0])
        return load(*args, **kwargs)

    monkeypatch.setattr(CheckpointLoader, 'load_checkpoint', counting)
    model, _ = init_model(*tiny_checkpoint, device='cpu')
    assert calls == [tiny_checkpoint[1]]
    saved = torch.load(tiny_checkpoint[1], weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved[key])
