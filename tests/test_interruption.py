"""make_cams and make_pseudo_labels killed at any moment and rerun finish
with every output complete, valid and equal to an uninterrupted run; a
sharded run over two gloo ranks writes the single-process output."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mmwsss.cams import load_cam_file
from mmwsss.datasets import make_demo_dataset
from mmwsss.utils import load_label_png
from conftest import REPO_ROOT, run_tool

NUM_IMAGES = 40
CAM_ARGS = ('--scales', 1.0, 0.5, 1.5, 2.0, '--batch-size', 1,
            '--num-workers', 0)


@pytest.fixture(scope='module')
def slow_data(tmp_path_factory):
    """Larger images, so that a run lasts long enough to be interrupted."""
    root = str(tmp_path_factory.mktemp('slow_data'))
    make_demo_dataset(
        root, num_train=NUM_IMAGES, num_val=1, image_size=256,
        num_classes=3, seed=5)
    return root


@pytest.fixture(scope='module')
def reference(slow_data, tiny_checkpoint, tmp_path_factory):
    """CAM files and pseudo labels of uninterrupted runs."""
    out = tmp_path_factory.mktemp('reference')
    cam_dir, label_dir = out / 'cams', out / 'labels'
    run_tool('make_cams.py', *tiny_checkpoint, '--out-dir', cam_dir,
             '--data-root', slow_data, *CAM_ARGS)
    run_tool('make_pseudo_labels.py', '--cam-dir', cam_dir, '--data-root',
             slow_data, '--out-dir', label_dir, '--crf')
    return cam_dir, label_dir


def restore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(args, out_dir, suffix, after, sig, log):
    """Start a tool, send ``sig`` to its process group (as Ctrl-C or a job
    scheduler would) once ``after`` outputs exist, and wait for it."""
    with open(log, 'w') as stderr:
        # A shell that starts a job in the background makes it ignore
        # SIGINT, and Python then installs no KeyboardInterrupt handler:
        # restore the default, as an interactive Ctrl-C would find it.
        proc = subprocess.Popen([sys.executable] + [str(a) for a in args],
                                cwd=REPO_ROOT,
                                stdout=subprocess.DEVNULL,
                                stderr=stderr,
                                start_new_session=True,
                                preexec_fn=restore_sigint)
        deadline = time.time() + 300
        while time.time() < deadline:
            done = [n for n in os.listdir(out_dir) if n.endswith(suffix)
                    and not n.startswith('.')] if osp.isdir(out_dir) else []
            if len(done) >= after:
                break
            assert proc.poll() is None, 'finished before the interruption'
            time.sleep(0.002)
        os.killpg(proc.pid, sig)
        proc.wait(timeout=120)
    assert proc.returncode != 0
    # The folder's manifest and evaluations are not outputs per id.
    return sorted(n for n in os.listdir(out_dir) if not n.endswith('.json'))


def assert_complete(out_dir, reference_dir, load, equal):
    # Evaluation results (.json) sit beside the files they describe.
    names = sorted(n for n in os.listdir(out_dir) if not n.endswith('.json'))
    assert not [n for n in names if n.startswith('.')], names
    assert names == sorted(n for n in os.listdir(reference_dir)
                           if not n.endswith('.json'))
    for name in names:
        equal(load(osp.join(out_dir, name)),
              load(osp.join(reference_dir, name)))


def same_cam(a, b):
    np.testing.assert_array_equal(a['keys'], b['keys'])
    np.testing.assert_allclose(a['high_res'], b['high_res'], atol=1e-5)


@pytest.mark.parametrize('sig,after', [(signal.SIGINT, 1),
                                       (signal.SIGKILL, 1),
                                       (signal.SIGKILL, NUM_IMAGES // 2)])
def test_make_cams_killed_and_rerun(slow_data, tiny_checkpoint, reference,
                                    tmp_path, sig, after):
    cam_dir = tmp_path / 'cams'
    args = [osp.join(REPO_ROOT, 'tools', 'make_cams.py'), *tiny_checkpoint,
            '--out-dir', cam_dir, '--data-root', slow_data, *CAM_ARGS]
    left = interrupt(args, cam_dir, '.npy', after, sig, tmp_path / 'log')
    finished = [n for n in left if not n.startswith('.')]
    assert after <= len(finished) < NUM_IMAGES
    if sig == signal.SIGINT:  # a clean stop removes its temporary file
        assert finished == left
    for name in finished:  # whatever exists is whole
        load_cam_file(osp.join(cam_dir, name), 3, (256, 256))

    out = run_tool('make_cams.py', *args[1:])
    assert f'{NUM_IMAGES - len(finished)} CAM files written' in out
    assert_complete(cam_dir, reference[0], load_cam_file, same_cam)


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGKILL])
def test_make_pseudo_labels_killed_and_rerun(slow_data, reference, tmp_path,
                                             sig):
    label_dir = tmp_path / 'labels'
    args = [osp.join(REPO_ROOT, 'tools', 'make_pseudo_labels.py'),
            '--cam-dir', reference[0], '--data-root', slow_data,
            '--out-dir', label_dir, '--crf', '--num-workers', 2]
    left = interrupt(args, label_dir, '.png', 1, sig, tmp_path / 'log')
    finished = [n for n in left if not n.startswith('.')]
    assert 1 <= len(finished) < NUM_IMAGES
    for name in finished:
        assert load_label_png(osp.join(label_dir, name)).shape == (256, 256)

    out = run_tool('make_pseudo_labels.py', *args[1:])
    assert f'{NUM_IMAGES - len(finished)} pseudo labels written' in out
    assert_complete(label_dir, reference[1], load_label_png,
                    np.testing.assert_array_equal)


def test_make_cams_on_two_gloo_ranks_equals_one_process(
        slow_data, tiny_checkpoint, reference, tmp_path):
    cam_dir = tmp_path / 'cams'
    torchrun = [
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node', '2',
        osp.join(REPO_ROOT, 'tools', 'make_cams.py'), *tiny_checkpoint,
        '--out-dir', str(cam_dir), '--data-root', slow_data, '--launcher',
        'pytorch'
    ] + [str(a) for a in CAM_ARGS]

    def run():
        proc = subprocess.run(
            torchrun, cwd=REPO_ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout

    # One total, printed by rank 0 alone.
    assert run().count(f'{NUM_IMAGES} CAM files written') == 1
    assert_complete(cam_dir, reference[0], load_cam_file, same_cam)

    # A rerun on two ranks writes exactly the missing files of both shards.
    for name in ('train_00000.npy', 'train_00003.npy', 'train_00010.npy'):
        os.remove(cam_dir / name)
    assert '3 CAM files written' in run()
    assert_complete(cam_dir, reference[0], load_cam_file, same_cam)


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGKILL])
def test_make_sem_seg_labels_killed_and_rerun(slow_data, reference, tiny_irn,
                                              tmp_path, sig):
    config, checkpoint, _ = tiny_irn
    tool = osp.join(REPO_ROOT, 'tools', 'make_sem_seg_labels.py')
    args = [config, checkpoint, '--cam-dir', reference[0], '--data-root',
            slow_data, '--num-workers', 0]
    full = tmp_path / 'uninterrupted'
    run_tool('make_sem_seg_labels.py', *args, '--out-dir', full)

    label_dir = tmp_path / 'labels'
    left = interrupt([tool, *args, '--out-dir', label_dir], label_dir,
                     '.png', NUM_IMAGES // 2, sig, tmp_path / 'log')
    finished = [n for n in left if not n.startswith('.')]
    assert NUM_IMAGES // 2 <= len(finished) < NUM_IMAGES
    if sig == signal.SIGINT:
        assert finished == left
    for name in finished:
        assert load_label_png(osp.join(label_dir, name)).shape == (256, 256)

    out = run_tool('make_sem_seg_labels.py', *args, '--out-dir', label_dir)
    assert f'{NUM_IMAGES - len(finished)} random-walk labels written' in out
    assert_complete(label_dir, full, load_label_png,
                    np.testing.assert_array_equal)
