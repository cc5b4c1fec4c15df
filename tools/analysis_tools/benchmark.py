"""Measure CAM generation throughput (make_cams against a naive per-image,
per-scale, per-flip loop and against bare backbone forwards, with the
largest difference of their CAMs) and training seconds per iteration of
each seed method relative to CAM, with peak memory, in one run.

With ``--random-walk``, measure instead IRN's random walk per image: the
official dense transition matrix against the stencil walk, on the same
deterministic boundary map and CAMs, with peak memory and label identity.
With ``--single-stage``, time a training step of the single-stage methods'
VOC configs (ToCo, WeCLIP) beside the CAM classifier's.
"""
import argparse
import ctypes
import gc
import os
import os.path as osp
import tempfile
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import MODELS
from prettytable import PrettyTable
from torch import Tensor

from mmwsss.apis import default_device, init_model, load_config
from mmwsss.cams import load_cam_file
from mmwsss.cams.generate import DEFAULT_SCALES, generate_cams
from mmwsss.datasets import (apply_split, build_split_dataset,
                             foreground_class_names)
from mmwsss.pipeline import method_names, seed_config
from mmwsss.pseudo_labels.random_walk import irn_label_scores
from mmwsss.testing import (bare_forward_inputs, dense_transition,
                            dense_walk_scores, irn_labels, naive_cams,
                            random_walk_inputs)
from mmwsss.utils import run_tool, save_json
from mmwsss.utils.errors import InputValueError

#: The presets whose seed-method configs can be timed.
PRESETS = ('demo', 'voc', 'coco')

# Methods without a training step of their own to time: Grad-CAM and
# Grad-CAM++ read the CAM classifier's weights with another CAM rule, and
# SEC trains a segmentor on cues that a CAM run must write first
# (compare_methods reports its seconds per iteration); CLIP-ES trains
# nothing (--clip-es times its CAMs); ToCo's step is a single-stage
# segmentor's (--single-stage times it). Adversarial erasing is timed: one
# round's step is its classifier's.
UNTIMED_METHODS = ('gradcam', 'gradcam++', 'sec', 'clip_es', 'toco')


def timed_methods(presets: Sequence[str] = PRESETS) -> List[str]:
    """The seed methods whose training step can be timed under any of
    ``presets``, in the order of :func:`mmwsss.pipeline.method_names`.

    Args:
        presets (Sequence[str]): The presets. Default: all.

    Returns:
        list[str]: The methods, without :data:`UNTIMED_METHODS`.
    """
    methods = []
    for preset in presets:
        methods += [
            m for m in method_names(preset)
            if m not in UNTIMED_METHODS and m not in methods
        ]
    return methods


class PeakMemory:
    """Peak memory of a block: allocated CUDA memory on a GPU, else the
    process's resident set size sampled every 5 ms (in MiB).

    Args:
        device (str): The device the block runs on.
    """

    def __init__(self, device: str):
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


class PeakMemoryIncrease:
    """Peak memory of a block above its start (in MiB).

    On a GPU: ``torch.cuda.max_memory_allocated`` minus the allocated
    memory at the start. On the CPU: the kernel's high-water mark of the
    process's resident set (``VmHWM``), reset at the start through
    ``/proc/self/clear_refs``, minus the resident set at the start, after
    ``malloc_trim`` has returned freed heap memory so that reused pages do
    not hide an allocation. Unlike sampling, this sees short peaks. If
    ``clear_refs`` cannot be written, the resident set is sampled every
    5 ms instead (``method`` says which).

    Args:
        device (str): The device the block runs on.
    """

    def __init__(self, device: str):
        self.cuda = str(device).startswith('cuda')
        self.increase_mib = 0.0
        self.method = ('cuda max_memory_allocated'
                       if self.cuda else 'VmHWM - VmRSS')

    @staticmethod
    def _status_mib(field):
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
        raise OSError(f'{field} not in /proc/self/status')

    def __enter__(self):
        gc.collect()
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._start = torch.cuda.memory_allocated() / 2**20
            return self
        try:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        except (OSError, AttributeError):
            pass
        self._sampler = None
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM to the current VmRSS
        except OSError:
            self.method = 'sampled RSS every 5 ms'
            self._sampler = PeakMemory('cpu')
        self._start = self._status_mib('VmRSS')
        if self._sampler is not None:
            self._sampler.__enter__()
        return self

    def __exit__(self, *exc):
        if self.cuda:
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated() / 2**20
        elif self._sampler is not None:
            self._sampler.__exit__(*exc)
            peak = self._sampler.peak_mib
        else:
            peak = self._status_mib('VmHWM')
        self.increase_mib = max(peak - self._start, 0.0)


def timed(device: str, fn: Callable) -> Tuple[float, object]:
    """Seconds that ``fn()`` takes, and its result; on a GPU, the queued
    kernels are waited for before and after."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn()
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def with_threads(threads: int, fn: Callable) -> object:
    """``fn()`` on ``threads`` CPU threads of torch."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return fn()
    finally:
        torch.set_num_threads(previous)


def _bare_forward(model, dataset, scales, flip, batch_size, device):
    inputs = bare_forward_inputs(model, dataset, scales, flip, batch_size)
    model.extract_feat(inputs[0])  # warm-up
    with PeakMemory(device) as memory:
        seconds, _ = timed(device,
                           lambda: [model.extract_feat(x) for x in inputs])
    return dict(
        images_per_s=len(dataset) / seconds, peak_mib=memory.peak_mib)


def _max_cam_difference(dir_a, dir_b):
    worst = 0.0
    for name in sorted(n for n in os.listdir(dir_a) if n.endswith('.npy')):
        a = load_cam_file(osp.join(dir_a, name))
        b = load_cam_file(osp.join(dir_b, name))
        if not np.array_equal(a['keys'], b['keys']):
            raise AssertionError(f'{name}: keys differ: {a["keys"]} vs '
                                 f'{b["keys"]}')
        worst = max(worst,
                    float(np.abs(a['high_res'] - b['high_res']).max()))
    return worst


def benchmark_cams(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   data_root: Optional[str] = None,
                   split: str = 'val',
                   num_images: Optional[int] = None,
                   scales: Sequence[float] = DEFAULT_SCALES,
                   flip: bool = True,
                   batch_size: int = 4,
                   num_workers: int = 2,
                   device: Optional[str] = None,
                   cfg_options: Optional[Dict] = None) -> dict:
    """Throughput of ``make_cams`` against the naive loop
    (:func:`mmwsss.testing.naive_cams`) and against bare backbone forwards
    at the same scales, and the largest difference between its CAM files
    and the naive loop's.

    Convolutions and matrix products run in full fp32 (no TF32), so that
    the outputs of the different batchings compare to 1e-4.

    Args:
        config (str | Config): The CAM classifier's config.
        checkpoint (str, optional): Its weights; default: random
            initialisation.
        data_root (str, optional): The dataset; default: the config's.
        split (str): The split whose images are used. Default: 'val'.
        num_images (int, optional): Use only the first N images.
        scales (Sequence[float]): The test scales.
        flip (bool): Whether to add the flips. Default: True.
        batch_size (int): Images per batch of ``make_cams``. Default: 4.
        num_workers (int): Its data loading workers. Default: 2.
        device (str, optional): Default: cuda when available.
        cfg_options (dict, optional): Overrides of the config.

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
            seconds, _ = timed(
                device, lambda: generate_cams(
                    model, dataset, fast_dir, scales=scales, flip=flip,
                    batch_size=batch_size, num_workers=num_workers,
                    progress=False))
        result['make_cams'] = dict(
            images_per_s=count / seconds, peak_mib=memory.peak_mib)
        with PeakMemory(device) as memory:
            seconds, _ = timed(
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


def benchmark_training(methods: Optional[Sequence[str]] = None,
                       preset: str = 'demo',
                       data_root: Optional[str] = None,
                       iters: int = 10,
                       warmup: int = 3,
                       num_classes: Optional[int] = None,
                       train_split: Optional[str] = None,
                       rounds: int = 2,
                       device: Optional[str] = None,
                       cfg_options: Optional[Dict] = None) -> Dict[str, dict]:
    """Median seconds per training step (forward, backward, update) of each
    seed method's stage-1 config (:func:`mmwsss.pipeline.seed_config`) on
    the same data, relative to CAM, with peak memory.

    The batches are loaded before the clock starts, so the figures compare
    the models, not the data loaders; ``rounds`` passes over all methods
    keep each one's fastest median.

    Args:
        methods (Sequence[str], optional): The methods; default: those of
            :func:`timed_methods`. Methods without a config for ``preset``
            are skipped; SEC is refused.
        preset (str): Which configs of the methods. Default: 'demo'.
        data_root (str, optional): The dataset; default: the configs'.
        iters (int): Timed steps. Default: 10.
        warmup (int): Untimed steps before them. Default: 3.
        num_classes (int, optional): Adapts the configs (e.g. the VOC
            configs) to the data's classes.
        train_split (str, optional): Adapts the configs to the data's split
            names.
        rounds (int): Passes over all methods. Default: 2.
        device (str, optional): Default: cuda when available.
        cfg_options (dict, optional): Overrides of every config.

    Returns:
        dict: ``method -> dict(s_per_iter, batch_size, vs_cam, peak_mib)``
        (``vs_cam`` when CAM is among them).
    """
    device = default_device(device)
    methods = methods or timed_methods([preset])
    if 'sec' in methods:
        raise InputValueError(
            'SEC trains on the cues of a CAM run; '
            'compare_methods reports its seconds per iteration')
    settings = dict(preset=preset, data_root=data_root, iters=iters,
                    warmup=warmup, num_classes=num_classes,
                    train_split=train_split, device=device,
                    cfg_options=cfg_options)
    with_config = method_names(preset)
    methods = [m for m in methods if m in with_config]
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
        # No CAM run's checkpoint for its frozen classifier: random weights
        # cost the same per step.
        options['model.ordinary_checkpoint'] = None
    cfg = load_config(
        seed_config(method, preset), options, data_root=data_root)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.backbone.pop('init_cfg', None)
    if num_classes is not None:
        cfg.model.cam_head.num_classes = num_classes
        if 'ordinary_classifier' in cfg.model:
            cfg.model.ordinary_classifier.cam_head.num_classes = num_classes
    if train_split is not None:
        apply_split(cfg.train_dataloader.dataset, train_split)
    seconds, peak_mib, _ = _median_train_step(cfg, device, iters, warmup)
    return dict(
        s_per_iter=seconds,
        batch_size=cfg.train_dataloader.batch_size,
        peak_mib=peak_mib)


def _median_train_step(cfg: Config, device: str, iters: int,
                       warmup: int) -> Tuple[float, float, List[int]]:
    """``(median seconds, peak MiB, input size)`` of the training steps of
    ``cfg``'s model on ``iters`` batches loaded beforehand (in the main
    process; the loader is restarted for data shorter than the run),
    after ``warmup`` untimed ones."""
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = []
    while len(batches) < warmup + iters:
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
                timed(device,
                      lambda b=b: model.train_step(b, optim_wrapper))[0]
                for b in batches[warmup:]
            ]))
    return seconds, memory.peak_mib, list(batches[0]['inputs'][0].shape[-2:])


def format_benchmark(result: dict) -> str:
    """Tables of :func:`benchmark_cams` and :func:`benchmark_training`.

    Args:
        result (dict): ``cams`` and / or ``training``: their results.

    Returns:
        str: The tables, with a line of settings and ratios for the CAMs.
    """
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


def time_dense_walk(cams: Tensor,
                    boundary: Tensor,
                    image_size: Tuple[int, int],
                    beta: float = 10.,
                    exp_times: int = 8,
                    radius: int = 5,
                    squarings: Optional[int] = None,
                    device: str = 'cpu') -> dict:
    """Time IRN's official dense walk
    (:func:`mmwsss.testing.dense_irn_label_scores`) part by part: the
    transition matrix, each squaring of it and the final product with
    upsampling.

    With ``squarings < exp_times`` only that many squarings run: the
    result is then not the walk's (``scores`` is None) but every other
    part runs at full size, so that the total time extrapolates as
    ``setup + exp_times * per_squaring + final``.

    Args:
        cams (Tensor): Stride-4 CAMs ``[n, h4, w4]``.
        boundary (Tensor): Class-boundary map ``[h4, w4]``.
        image_size (tuple[int, int]): ``(H, W)`` of the image.
        beta (float): Affinity exponent. Default: 10.
        exp_times (int): ``log2`` of the number of steps. Default: 8.
        radius (int): Pair radius. Default: 5.
        squarings (int, optional): Squarings to run; default: all.
        device (str): The device of the inputs. Default: 'cpu'.

    Returns:
        dict: ``scores`` (or None), seconds of ``setup``, ``per_squaring``,
        ``final``, the squarings run and the extrapolated ``total``.
    """
    squarings = exp_times if squarings is None else min(squarings,
                                                        exp_times)
    # The affinity and its power stay alive during the squarings, as in
    # IRN, so that the peak memory is the official code's.
    setup, (affinity, powered, transition) = timed(
        device, lambda: dense_transition(boundary, beta, radius))
    per_squaring = []
    for _ in range(squarings):
        seconds, transition = timed(
            device, lambda t=transition: torch.matmul(t, t))
        per_squaring.append(seconds)
    final_s, scores = timed(
        device,
        lambda t=transition: dense_walk_scores(cams, boundary, t, image_size))
    del affinity, powered, transition
    per_squaring_s = float(np.mean(per_squaring)) if per_squaring else 0.0
    return dict(
        scores=scores if squarings == exp_times else None,
        setup=setup,
        per_squaring=per_squaring_s,
        final=final_s,
        squarings=squarings,
        total=setup + exp_times * per_squaring_s + final_s)


def benchmark_random_walk(
        image_sizes: Sequence[Tuple[int, int]] = ((375, 500), (640, 640)),
        check_size: Optional[Tuple[int, int]] = (120, 160),
        num_classes: int = 3,
        dense_squarings: Optional[int] = None,
        repeats: int = 3,
        beta: float = 10.,
        exp_times: int = 8,
        radius: int = 5,
        dense_threads: Optional[int] = None,
        walk_threads: Optional[int] = None,
        device: Optional[str] = None,
        seed: int = 0) -> dict:
    """IRN's random walk per image, the official dense computation against
    the stencil of :func:`mmwsss.pseudo_labels.random_walk.
    irn_label_scores`, on the same deterministic boundary map and CAMs
    (:func:`mmwsss.testing.random_walk_inputs`) at the stride-4 grid of
    each image size.

    The dense walk runs ``dense_squarings`` of its ``exp_times`` squarings
    (all by default); with fewer, its time is extrapolated (see
    :func:`time_dense_walk`) and its labels are not compared.
    ``check_size`` is always run in full, to compare the labels.

    Args:
        image_sizes (Sequence[tuple[int, int]]): ``(H, W)`` of the images.
        check_size (tuple[int, int] | None): ``(H, W)`` of a small image
            whose dense walk runs in full.
        num_classes (int): CAM channels. Default: 3.
        dense_squarings (int | None): Squarings of the dense walk at
            ``image_sizes``; default: all.
        repeats (int): Runs of the stencil walk, of which the median
            counts. Default: 3.
        beta (float): Affinity exponent. Default: 10.
        exp_times (int): ``log2`` of the number of steps. Default: 8.
        radius (int): Pair radius. Default: 5.
        dense_threads (int | None): CPU threads of the dense walk (matrix
            products); default: torch's.
        walk_threads (int | None): CPU threads of the stencil walk
            (small element-wise ops, which run best on one thread on a
            busy host); default: torch's.
        device (str | None): Default: cuda when available.
        seed (int): Seed of the inputs. Default: 0.

    Returns:
        dict: ``rows`` (one per size and method: seconds per image, whether
        measured or extrapolated, peak memory increase in MiB, labels
        identical, largest score difference) and the settings.
    """
    device = default_device(device)
    dense_threads = dense_threads or torch.get_num_threads()
    walk_threads = walk_threads or torch.get_num_threads()
    sizes = [tuple(s) for s in image_sizes]
    if check_size is not None and tuple(check_size) not in sizes:
        sizes = [tuple(check_size)] + sizes
    rows = []
    memory_method = None
    with torch.no_grad():
        for size in sizes:
            full = tuple(size) == tuple(check_size or ())
            grid = (-(-size[0] // 4), -(-size[1] // 4))
            cams, boundary = random_walk_inputs(grid, num_classes, seed)
            cams, boundary = cams.to(device), boundary.to(device)

            def stencil():
                return irn_label_scores(cams, boundary, size, beta,
                                        exp_times, radius)

            with_threads(walk_threads, stencil)  # warm-up
            times = []
            with PeakMemoryIncrease(device) as memory:
                for _ in range(repeats):
                    seconds, scores = with_threads(
                        walk_threads, lambda: timed(device, stencil))
                    times.append(seconds)
            memory_method = memory.method
            stencil_row = dict(
                size=size, grid=grid, method='stencil (ours)',
                threads=walk_threads, s_per_image=float(np.median(times)),
                timing=f'measured, median of {repeats}',
                peak_mib=memory.increase_mib)
            with PeakMemoryIncrease(device) as memory:
                dense = with_threads(
                    dense_threads, lambda: time_dense_walk(
                        cams, boundary, size, beta, exp_times, radius,
                        None if full else dense_squarings, device))
            if dense['squarings'] == exp_times:
                timing = 'measured'
            else:
                timing = (f"extrapolated: {dense['squarings']} of "
                          f'{exp_times} squarings measured '
                          f"({dense['per_squaring']:.1f} s each)")
            dense_row = dict(
                size=size, grid=grid, method='dense (official)',
                threads=dense_threads, s_per_image=dense['total'],
                timing=timing, peak_mib=memory.increase_mib)
            if dense['scores'] is not None:
                identical = bool(
                    torch.equal(irn_labels(scores),
                                irn_labels(dense['scores'])))
                difference = float((scores - dense['scores']).abs().max())
                for row in (stencil_row, dense_row):
                    row.update(labels_identical=identical,
                               max_abs_difference=difference)
            stencil_row['speedup'] = (
                dense['total'] / stencil_row['s_per_image'])
            rows += [dense_row, stencil_row]
    return dict(
        rows=rows, device=str(device), num_classes=num_classes, beta=beta,
        exp_times=exp_times, radius=radius, memory_method=memory_method)


def format_random_walk_benchmark(result: dict) -> str:
    """Table of :func:`benchmark_random_walk`.

    Args:
        result (dict): Its result.

    Returns:
        str: A line of settings and the table.
    """
    table = PrettyTable([
        'image HxW', 'grid', 'method', 'threads', 's/image', 'timing',
        'peak MiB', 'vs dense', 'labels identical', 'max |diff|'
    ])
    for row in result['rows']:
        identical = row.get('labels_identical')
        table.add_row([
            '{}x{}'.format(*row['size']), '{}x{}'.format(*row['grid']),
            row['method'], row['threads'], f"{row['s_per_image']:.3f}",
            row['timing'], f"{row['peak_mib']:.1f}",
            f"{row['speedup']:.0f}x faster" if 'speedup' in row else '-',
            '-' if identical is None else ('yes' if identical else 'NO'),
            f"{row['max_abs_difference']:.1e}"
            if 'max_abs_difference' in row else '-'
        ])
    return '\n'.join([
        f"IRN random walk per image, {result['num_classes']} classes, "
        f"beta {result['beta']}, 2**{result['exp_times']} steps, radius "
        f"{result['radius']}, {result['device']}; peak memory = increase "
        f"over the start ({result['memory_method']}); labels = argmax with "
        'background 0.25 compared where the dense walk ran in full',
        table.get_string()
    ])


def benchmark_clip_es(config: str = 'clip_es/clip-es_vit-b16_voc12.py',
                      checkpoint: Optional[str] = None,
                      image_size: Tuple[int, int] = (375, 500),
                      classes_per_image: int = 3,
                      num_images: int = 2,
                      device: Optional[str] = None) -> dict:
    """CLIP-ES's CAMs (with CAA) of VOC-size images: images per second of
    one backward pass for all classes of an image (mmwsss) against one per
    class (CLIP-ES's ``generate_cams_voc12.py`` loop), and the largest
    difference of their maps. Random weights unless ``checkpoint`` (the
    converted CLIP) is given: the timing does not depend on them."""
    device = default_device(device)
    cfg = load_config(config)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).to(device).eval()
    if checkpoint is not None:
        model.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
        model.init_weights()
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(num_images, 1, 3, *image_size,
                         generator=generator).to(device)
    labels = [
        torch.randperm(model.num_classes, generator=generator)
        [:classes_per_image].to(device) for _ in range(num_images)
    ]
    result = dict(config=config, image_size=list(image_size),
                  classes_per_image=classes_per_image,
                  num_images=num_images, device=device)
    maps = {}
    for name, per_backward in (('batched', None), ('per_class_loop', 1)):
        model.test_cfg.update(classes_per_backward=per_backward)
        model.image_cams(images[0], labels[:1])  # warm-up
        seconds, outputs = timed(device, lambda: [
            model.image_cams(image, [keys])[0]
            for image, keys in zip(images, labels)
        ])
        maps[name] = outputs
        result[name] = dict(seconds=seconds,
                            images_per_second=num_images / seconds)
    model.test_cfg.update(classes_per_backward=None)
    result['speedup'] = result['per_class_loop']['seconds'] / \
        result['batched']['seconds']
    result['max_difference'] = max(
        float((a - b).abs().max())
        for a, b in zip(maps['batched'], maps['per_class_loop']))
    return result


def format_clip_es_benchmark(result: dict) -> str:
    table = PrettyTable(['CLIP-ES CAMs + CAA', 'images / s', 's'])
    for name, label in (('batched', 'one backward for all classes'),
                        ('per_class_loop', "one per class (CLIP-ES's)")):
        table.add_row([label, f"{result[name]['images_per_second']:.2f}",
                       f"{result[name]['seconds']:.2f}"])
    height, width = result['image_size']
    return '\n'.join([
        f"{result['num_images']} images of {height}x{width}, "
        f"{result['classes_per_image']} classes each, on "
        f"{result['device']}: {result['speedup']:.2f}x, maps differ by at "
        f"most {result['max_difference']:.1e}",
        table.get_string()
    ])


#: The single-stage methods' VOC configs and the CAM classifier's, timed
#: side by side by :func:`benchmark_single_stage`.
SINGLE_STAGE_CONFIGS = (
    'cam/cam_r50_voc.py',
    'toco/toco_vit-b16_2xb2-20k_voc12-448x448.py',
    'weclip/weclip_vit-b16_voc12.py',
)


def benchmark_single_stage(configs: Sequence[str] = SINGLE_STAGE_CONFIGS,
                           data_root: str = 'data/demo448',
                           iters: int = 3,
                           warmup: int = 1,
                           train_split: Optional[str] = None,
                           device: Optional[str] = None,
                           cfg_options: Optional[Dict] = None
                           ) -> Dict[str, dict]:
    """Median seconds per training step of each config at its own recipe
    (batch per GPU and crop), random weights, with every loss of its
    schedule on (the iteration is set to the schedule's last, so ToCo's
    segmentation losses and WeCLIP's RFM run), and peak memory.

    Args:
        configs (Sequence[str]): Configs (paths or under ``configs/``).
        data_root (str): Data in VOC layout with images at least as large
            as the crops (``tools/make_demo_data.py --image-size 448``).
        iters (int): Timed steps.
        warmup (int): Untimed steps before them.
        train_split (str, optional): The data's training split, for
            configs that name another (VOC's ``train_aug``).
        device (str, optional): Default: cuda when available.
        cfg_options (dict, optional): Overrides of every config.

    Returns:
        dict: ``config -> dict(s_per_iter, images_per_s, batch_size,
        crop, peak_mib)``.
    """
    from mmengine.logging import MessageHub

    from mmwsss.apis.data_roots import fit_class_count
    device = default_device(device)
    results = {}
    for config in configs:
        cfg = load_config(config, cfg_options, data_root=data_root)
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        fit_class_count(cfg, data_root)
        # Random weights: the step costs the same.
        cfg.model.pop('init_cfg', None)
        cfg.model.backbone.pop('init_cfg', None)
        if 'cam_head' in cfg.model:
            cfg.model.cam_head.num_classes = len(
                foreground_class_names(data_root))
        if 'class_names' in cfg.model:
            # CLIP prompts of the data's classes (WeCLIP).
            cfg.model.class_names = foreground_class_names(data_root)
        if train_split is not None:
            apply_split(cfg.train_dataloader.dataset, train_split)
        hub = MessageHub.get_current_instance()
        last = cfg.train_cfg.get('max_iters', 1) - 1
        hub.update_info('iter', max(last, 0))
        try:
            seconds, peak_mib, crop = _median_train_step(
                cfg, device, iters, warmup)
        finally:
            hub.update_info('iter', 0)
        batch_size = cfg.train_dataloader.batch_size
        results[config] = dict(
            s_per_iter=seconds,
            images_per_s=batch_size / seconds,
            batch_size=batch_size,
            crop=crop,
            peak_mib=peak_mib,
            device=device)
        gc.collect()
    return results


def format_single_stage_benchmark(result: Dict[str, dict]) -> str:
    table = PrettyTable(['config', 'batch', 'crop', 's / iter',
                         'images / s', 'peak MiB'])
    for config, item in result.items():
        table.add_row([
            config, item['batch_size'], 'x'.join(map(str, item['crop'])),
            f"{item['s_per_iter']:.3f}", f"{item['images_per_s']:.3f}",
            f"{item['peak_mib']:.0f}"
        ])
    return table.get_string()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--config',
        default='demo/cam_r18_demo.py',
        help='CAM classifier config (path or under configs/)')
    parser.add_argument(
        '--checkpoint', help='its weights (default: random initialisation)')
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--split', default='val')
    parser.add_argument(
        '--num-images', type=int, help='first N images of the split')
    parser.add_argument(
        '--scales', type=float, nargs='+', default=list(DEFAULT_SCALES))
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--preset',
        choices=list(PRESETS),
        default='demo',
        help='which configs of the seed methods to train')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=timed_methods(),
        help='seed methods to time (default: all but Grad-CAM, which trains '
        'nothing, CLIP-ES, whose CLIP is frozen, and SEC, which trains on '
        'a CAM run\'s cues: '
        'compare_methods times it); none with --skip-training')
    parser.add_argument('--train-iters', type=int, default=10)
    parser.add_argument(
        '--train-split', help="training split (default: the configs')")
    parser.add_argument('--skip-training', action='store_true')
    parser.add_argument('--device', help='default: cuda when available')
    parser.add_argument('--out', help='also write the figures to this JSON')
    walk = parser.add_argument_group(
        'random walk', 'with --random-walk, only the random walk is timed')
    walk.add_argument(
        '--random-walk',
        action='store_true',
        help="time IRN's random walk, dense against the stencil")
    walk.add_argument(
        '--image-sizes',
        type=_size,
        nargs='+',
        default=[(375, 500), (640, 640)],
        help='HxW of the images (default: 375x500 640x640)')
    walk.add_argument(
        '--check-size',
        type=_size,
        default=(120, 160),
        help='HxW where the dense walk always runs in full, to compare '
        'labels')
    walk.add_argument(
        '--dense-squarings',
        type=int,
        help='time only K of the exp_times squarings of the dense walk at '
        '--image-sizes and extrapolate (default: all)')
    walk.add_argument('--num-classes', type=int, default=3)
    walk.add_argument('--repeats', type=int, default=3)
    walk.add_argument('--dense-threads', type=int, help="default: torch's")
    walk.add_argument('--walk-threads', type=int, help="default: torch's")
    clip_es = parser.add_argument_group(
        'CLIP-ES', 'with --clip-es, only CLIP-ES\'s CAMs are timed')
    clip_es.add_argument(
        '--clip-es',
        action='store_true',
        help="time CLIP-ES's CAMs: one backward pass for all classes "
        "against CLIP-ES's loop of one per class")
    clip_es.add_argument(
        '--clip-es-config', default='clip_es/clip-es_vit-b16_voc12.py')
    clip_es.add_argument(
        '--clip-checkpoint',
        help='the converted CLIP checkpoint (default: random weights)')
    clip_es.add_argument('--clip-es-images', type=int, default=2)
    clip_es.add_argument('--classes-per-image', type=int, default=3)
    single = parser.add_argument_group(
        'single stage', 'with --single-stage, only the training steps of the '
        'single-stage methods and the CAM classifier are timed')
    single.add_argument(
        '--single-stage',
        action='store_true',
        help="time a training step of ToCo's and WeCLIP's VOC configs "
        "beside the CAM classifier's, each at its recipe's batch and crop")
    single.add_argument(
        '--single-stage-configs',
        nargs='+',
        default=list(SINGLE_STAGE_CONFIGS))
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the CAM config, key=value')
    return parser.parse_args()


def _size(text):
    height, width = text.lower().split('x')
    return int(height), int(width)


def _report(text: str, result: dict, out: Optional[str]) -> None:
    """Print a benchmark's table and write its figures to ``out``."""
    print(text)
    if out:
        save_json(result, out)
        print(f'written to {out}')


def main():
    args = parse_args()
    if args.single_stage:
        result = benchmark_single_stage(
            args.single_stage_configs,
            args.data_root,
            iters=args.train_iters,
            train_split=args.train_split,
            device=args.device,
            cfg_options=args.cfg_options)
        return _report(format_single_stage_benchmark(result), result, args.out)
    if args.clip_es:
        result = benchmark_clip_es(
            args.clip_es_config,
            args.clip_checkpoint,
            args.image_sizes[0],
            args.classes_per_image,
            args.clip_es_images,
            device=args.device)
        return _report(format_clip_es_benchmark(result), result, args.out)
    if args.random_walk:
        result = benchmark_random_walk(
            args.image_sizes,
            args.check_size,
            args.num_classes,
            args.dense_squarings,
            args.repeats,
            dense_threads=args.dense_threads,
            walk_threads=args.walk_threads,
            device=args.device)
        return _report(format_random_walk_benchmark(result), result, args.out)
    result = dict(
        cams=benchmark_cams(
            args.config,
            args.checkpoint,
            args.data_root,
            args.split,
            args.num_images,
            scales=args.scales,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            device=args.device,
            cfg_options=args.cfg_options))
    print(format_benchmark(result))
    if not args.skip_training:
        result['training'] = benchmark_training(
            args.methods,
            args.preset,
            args.data_root,
            iters=args.train_iters,
            num_classes=len(foreground_class_names(args.data_root)),
            train_split=args.train_split,
            device=args.device)
        print(format_benchmark(dict(training=result['training'])))
    if args.out:
        save_json(result, args.out)
        print(f'written to {args.out}')


if __name__ == '__main__':
    run_tool(main)
