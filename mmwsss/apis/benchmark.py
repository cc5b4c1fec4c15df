"""Speed and memory figures of CAM generation, of each seed method's
training step and of IRN's random walk (dense against the stencil),
measured in one process on the same weights and inputs."""
import ctypes
import gc
import os
import os.path as osp
import tempfile
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import MODELS
from prettytable import PrettyTable
from torch import Tensor

from mmwsss.cams import load_cam_file, save_cam_file
from mmwsss.cams.generate import (DEFAULT_SCALES, generate_cams,
                                  preprocess_groups)
from mmwsss.datasets import apply_split, build_split_dataset
from mmwsss.models.utils.cam_inference import (multi_scale_cams,
                                               normalize_cams, rescale_images)
from mmwsss.models.utils.pair_geometry import search_directions
from mmwsss.pseudo_labels.random_walk import (boundary_affinities,
                                              irn_label_scores)
from mmwsss.utils.errors import InputValueError
from .config import load_config
from .model import default_device, init_model
from .pipeline import METHODS


class PeakMemory:
    """Peak memory of a block: allocated CUDA memory on a GPU, else the
    process's resident set size sampled every 5 ms (in MiB)."""

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


def _timed(device, fn):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn()
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def naive_cams(model: torch.nn.Module, dataset: BaseDataset, out_dir: str,
               scales: Sequence[float], flip: bool) -> None:
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


def bare_forward_inputs(model: torch.nn.Module, dataset: BaseDataset,
                        scales: Sequence[float], flip: bool,
                        batch_size: int) -> List[Tensor]:
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
    # Grad-CAM trains nothing; SEC trains a segmentor on cues that the CAM
    # stage must write first (compare_methods times it).
    methods = methods or [
        m for m, spec in METHODS.items()
        if 'cam_method' not in spec and spec.get('driver') != 'sec'
    ]
    if 'sec' in methods:
        raise InputValueError(
            'SEC trains on the cues of a CAM run; '
            'compare_methods reports its seconds per iteration')
    settings = dict(preset=preset, data_root=data_root, iters=iters,
                    warmup=warmup, num_classes=num_classes,
                    train_split=train_split, device=device,
                    cfg_options=cfg_options)
    methods = [m for m in methods if METHODS[m].get(preset)]
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


def format_benchmark(result: dict) -> str:
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


def random_walk_inputs(grid: Tuple[int, int],
                       num_classes: int,
                       seed: int = 0) -> Tuple[Tensor, Tensor]:
    """Deterministic smooth inputs of the walk on a stride-4 ``grid``:
    a boundary map in (0, 1) and CAMs in [0, 1], both bilinear upsampled
    from noise at 1/8 of the grid (so they have regions and edges)."""
    generator = torch.Generator().manual_seed(seed)
    coarse = (max(grid[0] // 8, 2), max(grid[1] // 8, 2))

    def smooth(channels):
        noise = torch.randn(1, channels, *coarse, generator=generator)
        return F.interpolate(noise, grid, mode='bilinear',
                             align_corners=False)[0]

    boundary = torch.sigmoid(3 * smooth(1)[0] - 1)
    cams = torch.sigmoid(2 * smooth(num_classes))
    return cams, boundary


def dense_affinity(affinities: Tensor, radius: int) -> Tensor:
    """The ``N x N`` affinity matrix as IRN builds it
    (``affinity_sparse2dense``): the forward pairs, ones on the diagonal and
    the transposed pairs, from a sparse tensor."""
    device = affinities.device
    affinities = affinities.cpu()
    _, height, width = affinities.shape
    index = torch.arange(height * width).view(height, width)
    rows, cols, values = [], [], []
    for k, (dy, dx) in enumerate(search_directions(radius)):
        src = index[:height - dy, max(-dx, 0):width - max(dx, 0)]
        dst = index[dy:, max(dx, 0):width - max(-dx, 0)]
        rows.append(src.reshape(-1))
        cols.append(dst.reshape(-1))
        values.append(affinities[k, :height - dy,
                                 max(-dx, 0):width - max(dx, 0)].reshape(-1))
    src, dst, values = torch.cat(rows), torch.cat(cols), torch.cat(values)
    diagonal = torch.arange(height * width)
    indices = torch.cat([
        torch.stack([src, dst]),
        torch.stack([diagonal, diagonal]),
        torch.stack([dst, src])
    ], dim=1)
    values = torch.cat([values, torch.ones(height * width), values])
    # Densified on the CPU and moved, as IRN does.
    return torch.sparse_coo_tensor(
        indices, values, (height * width, ) * 2,
        check_invariants=True).to_dense().to(device)


def dense_irn_label_scores(cams: Tensor,
                           boundary: Tensor,
                           image_size: Tuple[int, int],
                           beta: float = 10.,
                           exp_times: int = 8,
                           radius: int = 5,
                           squarings: Optional[int] = None,
                           device: str = 'cpu') -> dict:
    """IRN's official dense walk (``propagate_to_edge`` and
    ``make_sem_seg_labels``): dense affinity, power, column normalisation,
    ``exp_times`` squarings of the ``N x N`` matrix, product, upsampling.

    With ``squarings < exp_times`` only that many squarings run: the
    result is then not the walk's (``scores`` is None) but every other
    part runs at full size, so that the total time extrapolates as
    ``setup + exp_times * per_squaring + final``.

    Returns:
        dict: ``scores`` (or None), seconds of ``setup``, ``per_squaring``,
        ``final``, the squarings run and the extrapolated ``total``.
    """
    squarings = exp_times if squarings is None else min(squarings,
                                                        exp_times)
    height, width = boundary.shape
    setup, (dense, scaled, trans_mat) = _timed(
        device, lambda: _dense_transition(boundary, beta, radius))
    per_squaring = []
    for _ in range(squarings):
        seconds, trans_mat = _timed(
            device, lambda t=trans_mat: torch.matmul(t, t))
        per_squaring.append(seconds)

    def final():
        x = cams.view(-1, height, width) * (1 - boundary)
        rw = torch.matmul(x.view(-1, height * width), trans_mat)
        rw_up = F.interpolate(
            rw.view(-1, 1, height, width), scale_factor=4, mode='bilinear',
            align_corners=False)[..., 0, :image_size[0], :image_size[1]]
        return rw_up / torch.max(rw_up)

    final_s, scores = _timed(device, final)
    del dense, scaled, trans_mat
    per_squaring_s = float(np.mean(per_squaring)) if per_squaring else 0.0
    return dict(
        scores=scores if squarings == exp_times else None,
        setup=setup,
        per_squaring=per_squaring_s,
        final=final_s,
        squarings=squarings,
        total=setup + exp_times * per_squaring_s + final_s)


def _dense_transition(boundary, beta, radius):
    # The three N x N matrices IRN holds during the squarings: the
    # affinity (caller's reference), its power and the transition matrix.
    dense = dense_affinity(boundary_affinities(boundary, radius), radius)
    scaled = torch.pow(dense, beta)
    trans_mat = scaled / torch.sum(scaled, dim=0, keepdim=True)
    return dense, scaled, trans_mat


def _irn_label(scores, bg_threshold=0.25):
    return torch.argmax(
        F.pad(scores, (0, 0, 0, 0, 1, 0), value=bg_threshold), dim=0)


def _with_threads(threads, fn):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return fn()
    finally:
        torch.set_num_threads(previous)


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
    irn_label_scores`, on the same deterministic boundary map and CAMs at
    the stride-4 grid of each image size.

    The dense walk runs ``dense_squarings`` of its ``exp_times`` squarings
    (all by default); with fewer, its time is extrapolated (see
    :func:`dense_irn_label_scores`) and its labels are not compared.
    ``check_size`` is always run in full, to compare the labels.

    Args:
        image_sizes (Sequence[tuple[int, int]]): ``(H, W)`` of the images.
        check_size (tuple[int, int] | None): ``(H, W)`` of a small image
            whose dense walk runs in full.
        dense_threads (int | None): CPU threads of the dense walk (matrix
            products); default: torch's.
        walk_threads (int | None): CPU threads of the stencil walk
            (small element-wise ops, which run best on one thread on a
            busy host); default: torch's.

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

            def ours():
                return irn_label_scores(cams, boundary, size, beta,
                                        exp_times, radius)

            _with_threads(walk_threads, ours)  # warm-up
            times = []
            with PeakMemoryIncrease(device) as memory:
                for _ in range(repeats):
                    seconds, scores = _with_threads(
                        walk_threads, lambda: _timed(device, ours))
                    times.append(seconds)
            memory_method = memory.method
            ours_row = dict(
                size=size, grid=grid, method='stencil (ours)',
                threads=walk_threads, s_per_image=float(np.median(times)),
                timing=f'measured, median of {repeats}',
                peak_mib=memory.increase_mib)
            with PeakMemoryIncrease(device) as memory:
                dense = _with_threads(
                    dense_threads, lambda: dense_irn_label_scores(
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
                    torch.equal(_irn_label(scores),
                                _irn_label(dense['scores'])))
                difference = float(
                    (scores - dense['scores']).abs().max())
                for row in (ours_row, dense_row):
                    row.update(labels_identical=identical,
                               max_abs_difference=difference)
            ours_row['speedup'] = dense['total'] / ours_row['s_per_image']
            rows += [dense_row, ours_row]
    return dict(
        rows=rows, device=str(device), num_classes=num_classes, beta=beta,
        exp_times=exp_times, radius=radius, memory_method=memory_method)


def format_random_walk_benchmark(result: dict) -> str:
    """Table of :func:`benchmark_random_walk`."""
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
