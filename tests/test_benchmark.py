from mmwsss.apis.benchmark import (benchmark_cams, benchmark_training,
                                   format_benchmark)
from conftest import TINY_CLASSES, tiny_cfg_options


def test_benchmark_cams_agrees_with_naive_loop(tiny_data, tiny_checkpoint):
    config, checkpoint = tiny_checkpoint
    result = benchmark_cams(
        config, checkpoint, tiny_data, split='val', num_images=5,
        scales=(1.0, 0.5, 1.5), batch_size=2, num_workers=0, device='cpu')
    assert result['images'] == 5
    assert result['max_abs_difference'] < 1e-4
    for key in ('make_cams', 'naive_loop', 'bare_forward'):
        assert result[key]['images_per_s'] > 0
        assert result[key]['peak_mib'] > 0
    assert result['speedup_vs_naive'] > 0
    assert 'make_cams is' in format_benchmark(dict(cams=result))


def test_benchmark_training_relative_to_cam(tiny_data):
    options = tiny_cfg_options()
    results = benchmark_training(
        ['cam', 'recam'], 'demo', tiny_data, iters=1, warmup=1,
        num_classes=TINY_CLASSES, device='cpu',
        cfg_options={k: v for k, v in options.items()
                     if not k.startswith(('train_cfg', 'default_hooks'))})
    assert set(results) == {'cam', 'recam'}
    assert results['cam']['vs_cam'] == 1.0
    assert results['recam']['s_per_iter'] > 0
    table = format_benchmark(dict(training=results))
    assert 'recam' in table and '1.00x' in table
