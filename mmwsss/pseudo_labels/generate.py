"""Write pseudo-label PNGs for a split from its CAM files, resumably and in
parallel."""
import os.path as osp
from functools import partial
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from mmwsss.cams import load_cam_file
from mmwsss.datasets import dataset_type_of
from mmwsss.utils import (check_image_file, fingerprint, folder_fingerprint,
                          open_image, prepare_output_dir, read_rgb,
                          remove_stale_tmp_files, require_files,
                          save_palette_png)
from mmwsss.utils.parallel import map_tasks
from mmwsss.utils.errors import InputKeyError, InputValueError
from .defaults import PSEUDO_LABEL_DEFAULTS as _DEFAULTS
from .par_labels import PAR_LABEL_DEFAULTS, par_label
from .labels import (SALIENCY_DEFAULTS, confident_crf_label,
                     confident_region_label,
                     label_from_cams, psa_affinity_label, saliency_label)


def load_saliency(path: str, shape: Tuple[int, int]) -> np.ndarray:
    """A saliency PNG (grey, or colour converted to grey by PIL) as float32
    ``[H, W]`` in [0, 1] (value / 255), resized bilinearly to ``shape``
    when its size differs (saliency networks often work at a fixed size).
    """
    with open_image(path, 'saliency map') as image:
        if image.mode in ('RGB', 'RGBA', 'LA', '1'):
            image = image.convert('L')
        if image.mode != 'L':
            raise InputValueError(f'{path}: a saliency map must be an 8-bit '
                                  f'grey PNG in [0, 255], got mode '
                                  f'{image.mode!r}')
        saliency = np.asarray(image, dtype=np.float32) / 255
    if saliency.shape != tuple(shape):
        resized = Image.fromarray(saliency).resize(
            (shape[1], shape[0]), Image.BILINEAR)
        saliency = np.clip(np.asarray(resized, dtype=np.float32), 0, 1)
    return saliency


def pseudo_label_for(cam_path: str,
                     image_path: str,
                     mode: str = 'argmax',
                     bg_mode: str = _DEFAULTS['bg_mode'],
                     bg_threshold: float = _DEFAULTS['bg_threshold'],
                     alpha: float = _DEFAULTS['alpha'],
                     fg_threshold: float = _DEFAULTS['fg_threshold'],
                     low_threshold: float = _DEFAULTS['low_threshold'],
                     crf: Optional[dict] = None,
                     num_classes: Optional[int] = None,
                     low_alpha: float = _DEFAULTS['low_alpha'],
                     high_alpha: float = _DEFAULTS['high_alpha'],
                     saliency_path: Optional[str] = None,
                     saliency_cfg: Optional[dict] = None,
                     min_confidence: float = _DEFAULTS['min_confidence'],
                     par: Optional[dict] = None) -> np.ndarray:
    """The pseudo label of one image (see :func:`generate_pseudo_labels`)."""
    needs_image = crf is not None or mode in ('psa_affinity',
                                              'confident_crf', 'par')
    image = read_rgb(image_path) if needs_image else None
    shape = image.shape[:2] if image is not None else None
    cam = load_cam_file(cam_path, num_classes=num_classes, shape=shape)
    cams, keys = cam['high_res'], cam['keys']
    if saliency_path is not None:
        check_saliency_settings(mode, bg_mode, saliency_cfg)
        saliency = load_saliency(saliency_path, cams.shape[1:])
        rules = dict(SALIENCY_DEFAULTS, **(saliency_cfg or {}))
        return saliency_label(cams, keys, saliency, bg_threshold,
                              image=image, crf=crf, **rules)
    if mode == 'argmax':
        return label_from_cams(cams, keys, bg_mode, bg_threshold, alpha,
                               image, crf)
    if mode == 'confident':
        return confident_region_label(cams, keys, fg_threshold,
                                      low_threshold, image, crf)
    if mode == 'psa_affinity':
        return psa_affinity_label(cams, keys, image, low_alpha, high_alpha,
                                  crf)
    if mode == 'confident_crf':
        return confident_crf_label(cams, keys, image, alpha, min_confidence,
                                   crf)
    if mode == 'par':
        return par_label(cams, keys, image, **(par or {}))
    raise InputValueError(
        f"mode must be 'argmax', 'confident', 'psa_affinity', "
        f"'confident_crf' or 'par', got {mode!r}")


def check_saliency_settings(mode: str,
                            bg_mode: str,
                            saliency_cfg: Optional[dict] = None) -> None:
    """Saliency replaces the background score of argmax labels; fail on
    combinations it cannot mean and on unknown settings."""
    if mode != 'argmax' or bg_mode != 'constant':
        raise InputValueError(
            f'saliency maps give the background score of argmax '
            f'labels; they cannot be combined with mode '
            f'{mode!r} / bg_mode {bg_mode!r}')
    unknown = set(saliency_cfg or {}) - set(SALIENCY_DEFAULTS)
    if unknown:
        raise InputKeyError(f'unknown saliency settings {sorted(unknown)}; '
                            f'expected {sorted(SALIENCY_DEFAULTS)}')


# The settings each label mode reads (the others do not change its labels).
_MODE_SETTINGS = dict(
    argmax=('bg_mode', 'bg_threshold', 'alpha', 'crf'),
    confident=('fg_threshold', 'low_threshold', 'crf'),
    psa_affinity=('low_alpha', 'high_alpha', 'crf'),
    confident_crf=('alpha', 'min_confidence', 'crf'),
    par=('par', ))


def label_folder_settings(settings: dict, cam_dir: str, data_root: str,
                          split: str, ids: Sequence[str],
                          saliency_dir: Optional[str] = None) -> dict:
    """What a folder of pseudo labels depends on, for its manifest: the
    settings its mode reads, the CAM folder (its manifest's fingerprint,
    else its path), the data root, the split and its ids."""
    mode = settings['mode']
    used = dict(mode=mode, num_classes=settings['num_classes'])
    for key in _MODE_SETTINGS.get(mode, ()):
        used[key] = settings[key]
    if mode == 'argmax':
        used.pop('alpha' if used['bg_mode'] == 'constant' else
                 'bg_threshold')
    if saliency_dir is not None:
        used.update(
            saliency_dir=osp.realpath(saliency_dir),
            saliency_cfg=dict(SALIENCY_DEFAULTS,
                              **(settings['saliency_cfg'] or {})),
            bg_threshold=settings['bg_threshold'])
    return dict(
        labels=used,
        cams=folder_fingerprint(cam_dir) or osp.realpath(cam_dir),
        data_root=osp.realpath(data_root),
        split=split,
        ids=fingerprint(dict(ids=sorted(ids))))


def _write_one(img_id, images, cam_dir, out_dir, settings, saliency_dir):
    saliency_path = None if saliency_dir is None else osp.join(
        saliency_dir, img_id + '.png')
    label = pseudo_label_for(
        osp.join(cam_dir, img_id + '.npy'), images[img_id],
        saliency_path=saliency_path, **settings)
    save_palette_png(label, osp.join(out_dir, img_id + '.png'))
    return img_id


def generate_pseudo_labels(cam_dir: str,
                           data_root: str,
                           split: str,
                           out_dir: str,
                           mode: str = 'argmax',
                           bg_mode: str = _DEFAULTS['bg_mode'],
                           bg_threshold: float = _DEFAULTS['bg_threshold'],
                           alpha: float = _DEFAULTS['alpha'],
                           fg_threshold: float = _DEFAULTS['fg_threshold'],
                           low_threshold: float = _DEFAULTS['low_threshold'],
                           crf: Optional[dict] = None,
                           num_classes: Optional[int] = None,
                           low_alpha: float = _DEFAULTS['low_alpha'],
                           high_alpha: float = _DEFAULTS['high_alpha'],
                           num_workers: int = 2,
                           progress: bool = True,
                           images: Optional[Dict[str, str]] = None,
                           saliency_dir: Optional[str] = None,
                           saliency_cfg: Optional[dict] = None,
                           min_confidence: float = _DEFAULTS[
                               'min_confidence'],
                           par: Optional[dict] = None,
                           overwrite: bool = False) -> int:
    """Turn IRN-format CAM files into palette PNG pseudo labels.

    The settings are recorded in ``<out_dir>/manifest.json``. A rerun into
    a folder made under the same settings writes only the missing labels;
    one made under other settings is refused, naming them, unless
    ``overwrite`` starts it over (see
    :func:`~mmwsss.utils.prepare_output_dir`).

    Args:
        cam_dir (str): CAM directory.
        data_root (str): Dataset root in VOC or COCO layout (see
            :func:`~mmwsss.datasets.dataset_type_of`; images for the CRF).
        split (str): Split whose ids get labels.
        out_dir (str): Output directory of ``<id>.png``.
        mode (str): ``'argmax'``: background score vs CAMs; ``'confident'``:
            IRN's confident regions with 255 between ``low_threshold`` and
            ``fg_threshold``; ``'psa_affinity'``: AffinityNet's labels from
            the power-background CRF maps at ``low_alpha`` and
            ``high_alpha`` (``crf`` then overrides ``PSA_CRF_DEFAULTS``);
            ``'confident_crf'``: CLIP-ES's CRF over the power background
            at ``alpha`` with pixels below ``min_confidence`` ignored
            (``crf`` overrides ``CLIP_ES_CRF``).
        bg_mode (str): ``'constant'`` or ``'power'`` background score.
        bg_threshold (float): Constant background score.
        alpha (float): Exponent of the power background score.
        fg_threshold (float): Confident foreground threshold.
        low_threshold (float): Confident background threshold.
        crf (dict, optional): Dense CRF settings (see ``CRF_DEFAULTS``);
            ``None`` disables the CRF.
        low_alpha (float): ``'psa_affinity'``: strong background power.
        high_alpha (float): ``'psa_affinity'``: weak background power.
        num_classes (int, optional): Foreground classes, to check CAM keys.
            Default: the data root's classes (VOC: ``classes.txt`` else
            VOC's; COCO: the split's categories), unless ``images`` is
            given.
        num_workers (int): Worker processes.
        progress (bool): Show progress (always shown with workers).
        images (dict, optional): ``img_id -> image path`` of the images to
            label (e.g. of a config's dataset); default: the ids of
            ``split`` under ``data_root`` in its layout.
        saliency_dir (str, optional): Saliency maps ``<id>.png`` (grey, 0 to
            255, any size: resized to the image) of a saliency network;
            the background score then comes from them (argmax mode, see
            :func:`~mmwsss.pseudo_labels.labels.saliency_label`), with
            ``bg_threshold`` as the floor every score must reach. All maps
            are checked to exist before any label is written.
        saliency_cfg (dict, optional): Overrides of ``SALIENCY_DEFAULTS``
            (OAA's unsure-pixel rules).
        min_confidence (float): ``'confident_crf'``: CRF confidence below
            which a pixel is ignored.
        par (dict, optional): ``'par'``: overrides of
            ``PAR_LABEL_DEFAULTS`` (ToCo's PAR-refined labels of the two
            background thresholds).
        overwrite (bool): Start over a folder made under other settings.

    Returns:
        int: Labels written by this call; existing ones are kept.
    """
    if saliency_dir is not None:
        check_saliency_settings(mode, bg_mode, saliency_cfg)
    if images is None:
        dataset_type = dataset_type_of(data_root)
        dataset_type.check_layout(data_root, [split])
        images = dataset_type.split_images(data_root, split)
        if num_classes is None:
            num_classes = len(dataset_type.class_names(data_root, split)) - 1
    ids = list(images)
    require_files(cam_dir, ids, '.npy', f'CAM files of split {split!r}',
                  '; run make_cams')
    settings = dict(
        mode=mode,
        bg_mode=bg_mode,
        bg_threshold=bg_threshold,
        alpha=alpha,
        fg_threshold=fg_threshold,
        low_threshold=low_threshold,
        crf=crf,
        num_classes=num_classes,
        low_alpha=low_alpha,
        high_alpha=high_alpha,
        saliency_cfg=saliency_cfg,
        min_confidence=min_confidence,
        par=None if mode != 'par' else dict(PAR_LABEL_DEFAULTS,
                                            **(par or {})))
    if saliency_dir is not None:
        # Checked before the output folder is made or touched.
        require_files(saliency_dir, ids, '.png',
                      f'saliency maps of split {split!r}')
        for img_id in ids:
            check_image_file(osp.join(saliency_dir, img_id + '.png'))
    prepare_output_dir(
        out_dir,
        label_folder_settings(settings, cam_dir, data_root, split, ids,
                              saliency_dir),
        'pseudo labels',
        overwrite=overwrite)
    pending = [
        i for i in ids if not osp.isfile(osp.join(out_dir, i + '.png'))
    ]
    remove_stale_tmp_files(out_dir)
    if progress and len(pending) < len(ids):
        print(f'{len(ids) - len(pending)} of {len(ids)} pseudo labels are '
              f'already in {out_dir}; writing {len(pending)}')
    if not pending:
        return 0
    if crf is not None or mode in ('psa_affinity', 'confident_crf', 'par'):
        # The CRF reads every image: find a bad one before the work starts.
        for img_id in pending:
            check_image_file(images[img_id])
    work = partial(
        _write_one,
        images=images,
        cam_dir=cam_dir,
        out_dir=out_dir,
        settings=settings,
        saliency_dir=saliency_dir)
    map_tasks(work, pending, num_workers, progress, [__name__])
    return len(pending)
