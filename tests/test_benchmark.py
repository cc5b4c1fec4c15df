import importlib.util
import os.path as osp

import pytest
import torch

from mmwsss.pseudo_labels.random_walk import irn_label_scores
from mmwsss.testing import dense_irn_label_scores, random_walk_inputs
from conftest import REPO_ROOT, TINY_CLASSES, run_tool, tiny_cfg_options


def load_benchmark_tool():
    """``tools/analysis_tools/benchmark.py`` as a module."""
    path = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark.py')
    spec = importlib.util.spec_from_file_location('benchmark_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark = load_benchmark_tool()


def test_benchmark_cams_agrees_with_naive_loop(tiny_data, tiny_checkpoint):
    config, checkpoint = tiny_checkpoint
    result = benchmark.benchmark_cams(
        config, checkpoint, tiny_data, split='val', num_images=5,
        scales=(1.0, 0.5, 1.5), batch_size=2, num_workers=0, device='cpu')
    assert result['images'] == 5
    assert result['max_abs_difference'] < 1e-4
    for key in ('make_cams', 'naive_loop', 'bare_forward'):
        assert result[key]['images_per_s'] > 0
        assert result[key]['peak_mib'] > 0
    assert result['speedup_vs_naive'] > 0
    assert 'make_cams is' in benchmark.format_benchmark(dict(cams=result))


def test_benchmark_training_relative_to_cam(tiny_data):
    options = tiny_cfg_options()
    results = benchmark.benchmark_training(
        ['cam', 'recam'], 'demo', tiny_data, iters=1, warmup=1,
        num_classes=TINY_CLASSES, device='cpu',
        cfg_options={k: v for k, v in options.items()
                     if not k.startswith(('train_cfg', 'default_hooks'))})
    assert set(results) == {'cam', 'recam'}
    recam, cam = results['recam'], results['cam']
    assert recam['vs_cam'] == pytest.approx(
        recam['s_per_iter'] / cam['s_per_iter'])
    assert cam['vs_cam'] == pytest.approx(1.0) and cam['s_per_iter'] > 0
    table = benchmark.format_benchmark(dict(training=results))
    assert 'recam' in table and '1.00x' in table


def test_benchmark_times_the_methods_that_train():
    # Grad-CAM reads the CAM classifier's weights; SEC trains on a CAM
    # run's cues. Adversarial erasing trains a classifier per round.
    demo = benchmark.timed_methods(['demo'])
    assert demo[0] == 'cam' and {'recam', 'ae'} <= set(demo)
    assert not {'gradcam', 'gradcam++', 'sec'} & set(demo)
    assert benchmark.timed_methods(['coco']) == ['cam', 'recam']
    assert 'toco' not in demo
    with pytest.raises(ValueError, match='SEC'):
        benchmark.benchmark_training(['sec'], device='cpu')


def test_benchmark_random_walk_dense_against_stencil():
    result = benchmark.benchmark_random_walk(
        image_sizes=[(200, 240)], check_size=(120, 160), dense_squarings=1,
        repeats=1, dense_threads=1, walk_threads=1, device='cpu')
    rows = {(tuple(r['size']), r['method']): r for r in result['rows']}
    assert len(rows) == 4
    dense = rows[(120, 160), 'dense (official)']
    ours = rows[(120, 160), 'stencil (ours)']
    # Run in full at the check size: same labels, scores to float32.
    assert dense['timing'] == 'measured'
    assert ours['labels_identical'] and dense['labels_identical']
    assert ours['max_abs_difference'] < 1e-4
    # 30x40 nodes: 8 products of 1200 x 1200 against 256 stencil steps.
    assert ours['s_per_image'] < dense['s_per_image']
    assert ours['peak_mib'] < dense['peak_mib']
    extrapolated = rows[(200, 240), 'dense (official)']
    assert extrapolated['timing'].startswith('extrapolated: 1 of 8')
    assert 'labels_identical' not in extrapolated
    table = benchmark.format_random_walk_benchmark(result)
    assert 'stencil (ours)' in table and 'extrapolated' in table


def test_dense_reference_walk_equals_stencil():
    cams, boundary = random_walk_inputs((20, 24), num_classes=2, seed=1)
    dense = dense_irn_label_scores(cams, boundary, (78, 93))
    stencil = irn_label_scores(cams, boundary, (78, 93))
    assert dense.shape == stencil.shape == (2, 78, 93)
    assert torch.allclose(dense, stencil, atol=1e-4)


def test_benchmark_tool_help():
    out = run_tool('analysis_tools/benchmark.py', '--help')
    assert '--random-walk' in out and '--methods' in out


def test_benchmark_single_stage_times_every_loss_of_the_schedule(tiny_data):
    """ToCo's shrunk demo config beside the CAM classifier's: the step is
    timed at the schedule's last iteration, so the segmentation losses
    run."""
    toco = {
        'model.backbone.embed_dims': 32,
        'model.backbone.num_heads': 2,
        'model.decode_head.in_channels': 32,
        'model.decode_head.channels': 16,
        'model.projection_head.in_channels': 32,
        'model.train_cfg.cam_scales': (1.0, ),
        'train_dataloader.batch_size': 2,
    }
    results = benchmark.benchmark_single_stage(
        ['demo/toco_vit-t_demo.py'], tiny_data, iters=1, warmup=1,
        device='cpu', cfg_options=toco)
    item = results['demo/toco_vit-t_demo.py']
    assert item['s_per_iter'] > 0 and item['batch_size'] == 2
    assert item['crop'] == [128, 128]
    assert item['images_per_s'] == pytest.approx(2 / item['s_per_iter'])
    assert 'toco_vit-t_demo' in benchmark.format_single_stage_benchmark(
        results)
