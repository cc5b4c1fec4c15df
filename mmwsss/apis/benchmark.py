"""Speed and memory figures of CAM generation and of each seed method's
training step, measured in one process on the same weights and images."""
import os
import os.path as osp
import tempfile
import threading
import time

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import MODELS
from prettytable import PrettyTable

from mmwsss.cams import load_cam_file, save_cam_file
from mmwsss.cams.generate import (DEFAULT_SCALES, apply_split,
                                  build_split_dataset, generate_cams,
                                  preprocess_groups)
from mmwsss.cams.inference import (multi_scale_cams, normalize_cams,
                                   rescale_images)
from .config import load_config
from .model import default_device, init_model
from .pipeline import METHODS


class PeakMemory:
    """Peak memory of a block: allocated CUDA memory on a GPU, else the
    process's resident set size sampled every 5 ms (in MiB)."""

    def __init__(self, device):
        self.cuda = str(device).startswith('cuda')
        self.peak_mib = 0.0

    @staticmethod
    def _rss_mib():
        with open('/proc/self/statm') as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf('SC_PAGE_SIZE') / 2**20

    def _sample(self):
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._rss_mib())
            self._stop.wait(0.005)

    def __enter__(self):
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        else:
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.cuda:
            torch.cuda.synchronize()
            self.peak_mib = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.peak_mib = max(self.peak_mib, self._rss_mib())


def _timed(device, fn):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn()
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def naive_cams(model, dataset, out_dir, scales, flip):
    """CAM files the way the reference scripts write them: image by image,
    one forward pass per scale and per flip, in the main process."""
    for index in range(len(dataset)):
        data = model.data_preprocessor(pseudo_collate([dataset[index]]),
                                       False)
        image, sample = data['inputs'], data['data_samples'][0]
        total = 0
        for scale in scales:
            for flipped in ((False, True) if flip else (False, )):
                x = image.flip(-1) if flipped else image
                cams = multi_scale_cams(
                    model.forward_cam, x, scales=(scale, ), flip=False,
                    output_stride=model.test_cfg['output_stride'])
                total = total + (cams.flip(-1) if flipped else cams)
        keys = torch.nonzero(sample.gt_img_labels > 0).flatten()
        save_cam_file(
            osp.join(out_dir, sample.metainfo['img_id'] + '.npy'),
            keys.cpu().numpy(),
            normalize_cams(total[0, keys]).cpu().numpy())


def bare_forward_inputs(model, dataset, scales, flip, batch_size):
    """The backbone inputs ``make_cams`` builds: per batch of same-size
    images and per scale, the images and their flips in one tensor."""
    inputs = []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ])
        for images, _ in preprocess_groups(model, batch):
            for scale in scales:
                x = rescale_images(images, scale)
                inputs.append(torch.cat([x, x.flip(-1)]) if flip else x)
    return inputs


def _bare_forward(model, dataset, scales, flip, batch_size, device):
    inputs = bare_forward_inputs(model, dataset, scales, flip, batch_size)
    model.extract_feat(inputs[0])  # warm-up
    with PeakMemory(device) as memory:
        seconds, _ = _timed(
            device, lambda: [model.extract_feat(x) for x in inputs])
    return dict(
        images_per_s=len(dataset) / seconds, peak_mib=memory.peak_mib)


def _max_cam_difference(dir_a, dir_b):
    worst = 0.0
    for name in sorted(os.listdir(dir_a)):
        a = load_cam_file(osp.join(dir_a, name))
        b = load_cam_file(osp.join(dir_b, name))
        if not np.array_equal(a['keys'], b['keys']):
            raise AssertionError(f'{name}: keys differ: {a["keys"]} vs '
                                 f'{b["keys"]}')
        worst = max(worst,
                    float(np.abs(a['high_res'] - b['high_res']).max()))
    return worst


def benchmark_cams(config,
                   checkpoint=None,
                   data_root=None,
                   split='val',
                   num_images=None,
                   scales=DEFAULT_SCALES,
                   flip=True,
                   batch_size=4,
                   num_workers=2,
                   device=None,
                   cfg_options=None):
    """Throughput of ``make_cams`` against the naive loop and against bare
    backbone forwards at the same scales, and the largest difference
    between its CAM files and the naive loop's.

    Convolutions and matrix products run in full fp32 (no TF32), so that
    the outputs of the different batchings compare to 1e-4.

    Returns:
        dict: Images per second of each, ratios, peak memory in MiB and the
        largest absolute CAM difference.
    """
    device = default_device(device)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    model, cfg = init_model(config, checkpoint or None, device, cfg_options)
    model.test_cfg.update(scales=tuple(scales), flip=flip)
    dataset = build_split_dataset(cfg, split, data_root)
    if num_images:
        dataset.get_subset_(min(num_images, len(dataset)))
    count = len(dataset)

    result = dict(images=count, scales=list(scales), flip=flip,
                  batch_size=batch_size, num_workers=num_workers,
                  device=str(device))
    with torch.no_grad(), tempfile.TemporaryDirectory() as tmp:
        result['bare_forward'] = _bare_forward(model, dataset, scales, flip,
                                               batch_size, device)

        fast_dir, naive_dir = osp.join(tmp, 'fast'), osp.join(tmp, 'naive')
        os.makedirs(naive_dir)
        with PeakMemory(device) as memory:
            seconds, _ = _timed(
                device, lambda: generate_cams(
                    model, dataset, fast_dir, scales=scales, flip=flip,
                    batch_size=batch_size, num_workers=num_workers,
                    progress=False))
        result['make_cams'] = dict(
            images_per_s=count / seconds, peak_mib=memory.peak_mib)
        with PeakMemory(device) as memory:
            seconds, _ = _timed(
                device,
                lambda: naive_cams(model, dataset, naive_dir, scales, flip))
        result['naive_loop'] = dict(
            images_per_s=count / seconds, peak_mib=memory.peak_mib)
        result['max_abs_difference'] = _max_cam_difference(
            fast_dir, naive_dir)
    fast = result['make_cams']['images_per_s']
    result['speedup_vs_naive'] = fast / result['naive_loop']['images_per_s']
    result['fraction_of_bare'] = fast / result['bare_forward']['images_per_s']
    return result


def benchmark_training(methods=None,
                       preset='demo',
                       data_root=None,
                       iters=10,
                       warmup=3,
                       num_classes=None,
                       train_split=None,
                       rounds=2,
                       device=None,
                       cfg_options=None):
    """Median seconds per training step (forward, backward, update) of each
    seed method's config on the same data, relative to CAM, with peak
    memory.

    The batches are loaded before the clock starts, so the figures compare
    the models, not the data loaders; ``rounds`` passes over all methods
    keep each one's fastest median. ``num_classes`` adapts the configs
    (e.g. the VOC configs) to the data's classes, ``train_split`` to its
    split names.

    Returns:
        dict: ``method -> dict(s_per_iter, vs_cam, peak_mib)``.
    """
    device = default_device(device)
    methods = methods or [
        m for m, spec in METHODS.items() if 'cam_method' not in spec
    ]
    settings = dict(preset=preset, data_root=data_root, iters=iters,
                    warmup=warmup, num_classes=num_classes,
                    train_split=train_split, device=device,
                    cfg_options=cfg_options)
    methods = [m for m in methods if METHODS[m][preset] is not None]
    results = {}
    # Rounds over all methods, keeping each one's fastest median, so that
    # the order of the methods and drift of a busy host cancel out.
    for _ in range(rounds):
        for method in methods:
            timing = _time_training(method, **settings)
            best = results.setdefault(method, timing)
            best['s_per_iter'] = min(best['s_per_iter'],
                                     timing['s_per_iter'])
            best['peak_mib'] = max(best['peak_mib'], timing['peak_mib'])
    if 'cam' in results:
        for item in results.values():
            item['vs_cam'] = item['s_per_iter'] / results['cam']['s_per_iter']
    return results


def _time_training(method, preset, data_root, iters, warmup, num_classes,
                   train_split, device, cfg_options):
    options = dict(cfg_options or {})
    if method == 'cse':
        options['model.ordinary_checkpoint'] = None
    cfg = load_config(METHODS[method][preset], options, data_root=data_root)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.backbone.pop('init_cfg', None)
    if num_classes is not None:
        cfg.model.cam_head.num_classes = num_classes
        if 'ordinary_classifier' in cfg.model:
            cfg.model.ordinary_classifier.cam_head.num_classes = num_classes
    if train_split is not None:
        apply_split(cfg.train_dataloader.dataset, train_split)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == warmup + iters:
            break
    for batch in batches[:warmup]:
        model.train_step(batch, optim_wrapper)
    with PeakMemory(device) as memory:
        # The median step: robust to a stray slow step on a busy host.
        seconds = float(
            np.median([
                _timed(device,
                       lambda b=b: model.train_step(b, optim_wrapper))[0]
                for b in batches[warmup:]
            ]))
    return dict(
        s_per_iter=seconds,
        batch_size=cfg.train_dataloader.batch_size,
        peak_mib=memory.peak_mib)


def format_benchmark(result):
    """Tables of :func:`benchmark_cams` and :func:`benchmark_training`."""
    lines = []
    cams = result.get('cams')
    if cams:
        table = PrettyTable(['CAM generation', 'images/s', 'peak MiB'])
        for key, name in (('make_cams', 'make_cams'),
                          ('naive_loop', 'naive loop (per image/scale/flip)'),
                          ('bare_forward', 'bare backbone forwards')):
            table.add_row([
                name, f"{cams[key]['images_per_s']:.2f}",
                f"{cams[key]['peak_mib']:.0f}"
            ])
        lines += [
            f"{cams['images']} images, scales {cams['scales']}, flip "
            f"{cams['flip']}, batch {cams['batch_size']}, "
            f"{cams['num_workers']} workers, {cams['device']}",
            table.get_string(),
            f"make_cams is {cams['speedup_vs_naive']:.2f}x the naive loop "
            f"and {100 * cams['fraction_of_bare']:.1f}% of bare forward "
            f"throughput; largest CAM difference "
            f"{cams['max_abs_difference']:.2e}"
        ]
    training = result.get('training')
    if training:
        table = PrettyTable(
            ['method', 'batch', 's/iter', 'vs CAM', 'peak MiB'])
        for method, item in training.items():
            table.add_row([
                method, item['batch_size'], f"{item['s_per_iter']:.3f}",
                f"{item['vs_cam']:.2f}x" if 'vs_cam' in item else '-',
                f"{item['peak_mib']:.0f}"
            ])
        lines += ['Training step (forward, backward, update)',
                  table.get_string()]
    return '\n'.join(lines)
