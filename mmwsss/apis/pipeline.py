"""The WSSS pipeline as resumable stages. Every stage records its outputs
and a fingerprint of what it depends on in a ``stages.json``; a rerun
skips it only under the same fingerprint:

    classifier → CAMs → seed evaluation → pseudo labels → pseudo-label
    evaluation → segmentation on pseudo labels (→ the same on true masks)

The stages read a data root in VOC or COCO layout (see
:func:`~mmwsss.datasets.dataset_type_of`) through the layout's lookups.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config
from prettytable import PrettyTable

from mmwsss.datasets import build_split_dataset
from mmwsss.evaluation.boundary_eval import format_boundary_eval
from mmwsss.pseudo_labels import (CRF_DEFAULTS, RANDOM_WALK_DEFAULTS,
                                  check_random_walk_settings,
                                  generate_pseudo_labels)
from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError)
from mmwsss.visualization import (render_cam_grid, render_label_grid,
                                  render_prediction_grid,
                                  render_refinement_grid)
from .adversarial_erasing import run_adversarial_erasing
from .cams import make_cams
from .config import load_config
from .data_roots import (check_data_root, num_foreground_classes,
                         pseudo_label_train_set, split_ids,
                         true_mask_train_set)
from .model import init_model
from .random_walk import (PSA_ALPHAS, evaluate_boundary_map,
                          format_alpha_sweep, make_sem_seg_labels,
                          sweep_psa_alpha)
from .sec import make_sec_labels, run_sec_seeds
from .stages import (StageRecord, evaluation_stage, config_inputs,
                     data_identity, evaluate_label_stage, evaluate_seed_stage,
                     run_stage, save_summary, stage_label, train_and_test)

# Stage-1 configs of each seed method, per preset. A config that builds on
# another stage declares it (``builds_on = dict(config=..., use='load_from'
# | 'ordinary')``: fine-tune its checkpoint, or freeze it as CSE's ordinary
# classifier); :func:`run_method_seeds` trains that stage first.
# ``reads_cam``: Grad-CAM reads the CAM classifier's weights with another
# CAM rule. ``driver``: a method with its own stages. ``refine``: how its
# paper turns seeds into masks (default: dense CRF).
METHODS = {
    'cam':
    dict(
        demo='demo/cam_r18_demo.py',
        voc='cam/cam_r50_voc.py',
        coco='cam/cam_r50_coco.py',
        refine='irn'),
    'gradcam': dict(
        demo='demo/cam_r18_demo.py',
        voc='cam/cam_r50_voc.py',
        cam_method='gradcam',
        reads_cam=True),
    'gradcam++': dict(
        demo='demo/cam_r18_demo.py',
        voc='cam/cam_r50_voc.py',
        cam_method='gradcam++',
        reads_cam=True),
    'recam': dict(
        demo='demo/recam_r18_demo.py',
        voc='recam/recam_r50_voc.py',
        coco='recam/recam_r50_coco.py',
        refine='irn'),
    'adl': dict(demo='demo/adl_r18_demo.py', voc='adl/adl_r50_voc.py'),
    'cse': dict(
        demo='demo/cse_r18_demo.py',
        voc='cse/cse_r50_voc.py',
        refine='psa'),
    'hide_and_seek': dict(
        demo='demo/has_r18_demo.py', voc='has/has_r50_voc.py'),
    'adl+recam': dict(demo='demo/adl_recam_r18_demo.py', voc=None),
    'acol': dict(demo='demo/acol_r18_demo.py', voc='acol/acol_r50_voc.py'),
    'mdc': dict(demo='demo/mdc_r18_demo.py', voc='mdc/mdc_r50_voc.py'),
    'seam': dict(demo='demo/seam_r18_demo.py', voc='seam/seam_r50_voc.py'),
    'ae': dict(
        demo='demo/ae_r18_demo.py',
        voc='ae/ae_r50_voc.py',
        driver='adversarial_erasing'),
    'sec': dict(
        demo='demo/sec_r18_demo.py',
        voc='sec/sec_r50_voc.py',
        driver='sec'),
}

# Affinity networks that refine seeds by a random walk: IRN's boundary
# network and PSA's AffinityNet. ``labels``: the config key of their
# training-label settings.
REFINEMENTS = {
    'irn':
    dict(
        demo='demo/irn_r18_demo.py',
        voc='irn/irn_r50_voc.py',
        labels='ir_label_cfg'),
    'psa':
    dict(
        demo='demo/affinitynet_r18_demo.py',
        voc='affinitynet/affinitynet_r50_voc.py',
        labels='affinity_label_cfg'),
}

# The splits of each dataset: CAMs and pseudo labels of ``cam_split``,
# seeds and labels evaluated on ``seed_split``, the segmentor (``seg_config``)
# on ``val_split``; the true masks the segmentor trains on with full
# supervision (``true_mask_dir``, None: the layout's).
PRESETS = {
    'demo':
    dict(
        cam_split='train',
        seed_split='train',
        val_split='val',
        seg_config='demo/encnet_r18_demo.py',
        true_mask_dir='SegmentationClass'),
    'voc':
    dict(
        cam_split='train_aug',
        seed_split='train',
        val_split='val',
        # The papers' segmentation stage (IRN 63.5, ReCAM 68.5 val).
        seg_config='deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12-pseudo-'
        '321x321.py',
        true_mask_dir='SegmentationClassAug'),
    'coco':
    dict(
        cam_split='train2014',
        seed_split='train2014',
        val_split='val2014',
        seg_config='deeplabv2/deeplabv2_r101-d8_1xb10-100k_coco14-pseudo-'
        '321x321.py',
        # None: the layout's, SegmentationClass/<split> of
        # tools/convert_coco.py.
        true_mask_dir=None),
}


def train_classifier(config: str,
                     work_dir: str,
                     data_root: str,
                     num_classes: int,
                     cfg_options: Optional[dict] = None,
                     label: Optional[str] = None) -> tuple:
    """Train a stage-1 classifier for ``num_classes`` foreground classes;
    see :func:`train_and_test`."""
    cfg = classifier_config(config, data_root, num_classes, cfg_options)
    return train_and_test(cfg, work_dir, label=label)


def classifier_config(config: Union[str, Config],
                      data_root: str,
                      num_classes: int,
                      cfg_options: Optional[dict] = None) -> Config:
    """A stage-1 config for ``num_classes`` foreground classes on
    ``data_root``, with ``cfg_options`` applied."""
    options = {'model.cam_head.num_classes': num_classes}
    options.update(cfg_options or {})
    return load_config(config, options, data_root=data_root)


def _summarize_training(outputs: dict) -> str:
    """The console's result of a training stage: its test metrics."""
    metrics = outputs.get('metrics') or {}
    names = {'multi-label/mAP': 'mAP', 'mIoU': 'mIoU'}
    return ', '.join(f'{short} {metrics[key]:.2f}'
                     for key, short in names.items() if key in metrics)


def run_seed_pipeline(data_root: str,
                      work_dir: str,
                      config: str,
                      cam_split: str = 'train',
                      seed_split: str = 'train',
                      cfg_options: Optional[dict] = None,
                      cam_method: str = 'cam',
                      checkpoint: Optional[dict] = None,
                      train_only: bool = False,
                      device: Optional[str] = None,
                      root: Optional[str] = None,
                      upstream: Optional[dict] = None) -> dict:
    """Train a classifier, write its CAMs for ``cam_split`` and evaluate the
    seeds on ``seed_split`` (which needs masks). Each stage is skipped on a
    rerun only when its settings are the same (see
    :func:`~mmwsss.apis.stages.run_stage`).

    Args:
        data_root (str): Dataset in VOC layout (``classes.txt`` optional)
            or COCO layout (see :func:`~mmwsss.datasets.dataset_type_of`).
        work_dir (str): Where the stages write.
        config (str): Stage-1 config.
        cam_split (str): Split whose CAMs are written.
        seed_split (str): Split whose seeds are evaluated.
        cfg_options (dict, optional): Overrides for the config.
        cam_method (str): ``'cam'``, ``'gradcam'`` or ``'gradcam++'``.
        checkpoint (dict, optional): The outputs of a trained classifier's
            stage (``checkpoint``, ``fingerprint``) of ``config``; used
            instead of training one.
        train_only (bool): Stop after training.
        device (str, optional): Device for CAM inference.
        root (str, optional): The work dir of the whole run (default
            ``work_dir``), see :class:`~mmwsss.apis.stages.StageRecord`.
        upstream (dict, optional): Fingerprints of the stages the training
            reads (the stage a method builds on), by name.

    Returns:
        dict: The seed summary (``<work_dir>/summary.json``, paths relative
        to the work dir; returned resolved) with ``fingerprints`` of its
        stages; with ``train_only`` just the training outputs.
    """
    check_data_root(data_root, sorted({cam_split, seed_split}))
    data_root = osp.abspath(data_root)
    num_classes = num_foreground_classes(data_root, cam_split)
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    record = StageRecord(work_dir, root=root)
    cfg = classifier_config(config, data_root, num_classes, cfg_options)
    data = data_identity(data_root)
    classifier_dir = osp.join(work_dir, 'classifier')

    if checkpoint is not None:
        train = run_stage(
            record,
            'train',
            lambda: dict(
                checkpoint=checkpoint['checkpoint'],
                metrics=checkpoint.get('metrics') or {}),
            inputs=dict(reuses=checkpoint['fingerprint']))
    else:

        def train_work():
            trained, metrics, seconds_per_iter = train_and_test(
                cfg.copy(), classifier_dir,
                label=stage_label(record, 'train'))
            return dict(
                checkpoint=trained,
                metrics=metrics,
                seconds_per_iter=seconds_per_iter)

        train = run_stage(
            record,
            'train',
            train_work,
            _summarize_training,
            inputs=dict(
                config=config_inputs(cfg),
                data_root=data,
                upstream=upstream or {}),
            folders=[classifier_dir])
    if train_only:
        return dict(train, stage_seconds=record.seconds())

    cam_dir = osp.join(work_dir, 'cams')
    cams = run_stage(
        record,
        'cams',
        lambda: dict(
            cam_dir=cam_dir,
            written=make_cams(
                cfg,
                train['checkpoint'],
                cam_dir,
                split=cam_split,
                data_root=data_root,
                method=cam_method,
                device=device,
                overwrite=True)),
        inputs=dict(
            train=train['fingerprint'],
            model=cfg.model.to_dict(),
            method=cam_method,
            split=cam_split,
            data_root=data),
        folders=[cam_dir])
    seeds = evaluate_seed_stage(record, 'seeds', cams, data_root, seed_split)

    metrics = train['metrics']
    summary = dict(
        data_root=osp.abspath(data_root),
        config=config,
        checkpoint=train['checkpoint'],
        seed_split=seed_split,
        seed_miou=seeds['best_miou'],
        seed_threshold=seeds['best_threshold'],
        background_miou=seeds['background_miou'],
        classifier_map=metrics.get('multi-label/mAP'),
        val_seed_miou=metrics.get('mIoU'),
        cam_method=cam_method,
        seconds_per_iter=train.get('seconds_per_iter'),
        cam_dir=cam_dir,
        fingerprints=dict(
            train=train['fingerprint'],
            cams=cams['fingerprint'],
            seeds=seeds['fingerprint']),
        stage_seconds=record.seconds())
    save_summary(summary, work_dir)
    return summary


def ordinary_classifier_of(config: Union[str, Config],
                           num_classes: int,
                           cfg_options: Optional[dict] = None) -> dict:
    """Backbone and head of a CAM config, as a CSE ordinary classifier."""
    options = {'model.cam_head.num_classes': num_classes}
    options.update(cfg_options or {})
    model = load_config(config, options).model
    backbone = dict(model.backbone)
    backbone.pop('init_cfg', None)
    return dict(backbone=backbone, cam_head=dict(model.cam_head))


def method_config(method: str, preset: str) -> str:
    """The stage-1 config of ``method`` under ``preset``."""
    if method not in METHODS:
        raise InputValueError(f'unknown method {method!r}; choose from '
                              f'{sorted(METHODS)}')
    config = METHODS[method].get(preset)
    if config is None:
        raise InputValueError(f'method {method!r} has no {preset!r} config')
    return config


BUILDS_ON_USES = ('load_from', 'ordinary')


def builds_on(config: str) -> Optional[dict]:
    """The stage that ``config`` builds on, as its ``builds_on`` declares
    (``dict(config=..., use='load_from' | 'ordinary')``), or None."""
    base = load_config(config).get('builds_on')
    if base is None:
        return None
    base = dict(base)
    if set(base) != {'config', 'use'} or base['use'] not in BUILDS_ON_USES:
        raise InputValueError(
            f'{config}: builds_on must be dict(config=..., use=...) with use '
            f'one of {BUILDS_ON_USES}, got {base}')
    return base


def base_stage_dir(base_config: str, preset: str) -> str:
    """Folder of a stage that others build on, under a comparison's work
    dir: ``cam`` for the CAM method's own config (shared by Grad-CAM,
    ReCAM, CSE), else named after the config."""
    if base_config == method_config('cam', preset):
        return 'cam'
    return osp.splitext(osp.basename(base_config))[0]


def run_method_seeds(data_root: str,
                     work_dir: str,
                     method: str,
                     preset: str = 'demo',
                     cfg_options: Optional[dict] = None,
                     device: Optional[str] = None) -> dict:
    """Seeds of one method: trains the CAM classifier first in
    ``<work_dir>/cam`` when the method builds on it, then the method in
    ``<work_dir>/<method>``. The method's stages record the fingerprint of
    the stage they build on, so they rerun when it changed.

    Returns:
        dict: The method's seed summary.
    """
    if preset not in PRESETS:
        raise InputValueError(f'unknown preset {preset!r}; choose from '
                              f'{sorted(PRESETS)}')
    work_dir = osp.abspath(work_dir)
    spec = METHODS.get(method, {})
    config = method_config(method, preset)
    splits = dict(
        cam_split=PRESETS[preset]['cam_split'],
        seed_split=PRESETS[preset]['seed_split'])
    driver = spec.get('driver')
    if driver == 'adversarial_erasing':
        return run_adversarial_erasing(
            data_root,
            osp.join(work_dir, method),
            config,
            cfg_options=cfg_options,
            device=device,
            root=work_dir,
            **splits)
    if driver == 'sec':
        # SEC's cues are read off the CAM classifier's seeds.
        cam = run_seed_pipeline(
            data_root,
            osp.join(work_dir, 'cam'),
            method_config('cam', preset),
            cfg_options=cfg_options,
            device=device,
            root=work_dir,
            **splits)
        return run_sec_seeds(
            data_root,
            osp.join(work_dir, method),
            config,
            cam['cam_dir'],
            cfg_options=cfg_options,
            device=device,
            root=work_dir,
            cams_fingerprint=cam['fingerprints']['cams'],
            **splits)
    options = dict(cfg_options or {})
    checkpoint, upstream = None, None
    base = builds_on(config)
    if spec.get('reads_cam'):
        base = dict(config=method_config('cam', preset), use='reuse')
    if base is not None:
        base_dir = base_stage_dir(base['config'], preset)
        cam = run_seed_pipeline(
            data_root,
            osp.join(work_dir, base_dir),
            base['config'],
            cfg_options=cfg_options,
            train_only=True,
            root=work_dir,
            **splits)
        upstream = {f'{base_dir}/train': cam['fingerprint']}
        if base['use'] == 'reuse':
            checkpoint = cam
        elif base['use'] == 'load_from':
            options['load_from'] = cam['checkpoint']
        else:
            options['model.ordinary_checkpoint'] = cam['checkpoint']
            options['model.ordinary_classifier'] = ordinary_classifier_of(
                base['config'],
                num_foreground_classes(data_root, splits['cam_split']),
                cfg_options)
    return run_seed_pipeline(
        data_root,
        osp.join(work_dir, method),
        config,
        cfg_options=options,
        cam_method=spec.get('cam_method', 'cam'),
        checkpoint=checkpoint,
        device=device,
        root=work_dir,
        upstream=upstream,
        **splits)


def segmentation_config(config: Union[str, Config],
                        data_root: str,
                        num_classes: int,
                        train_split: str,
                        pseudo_label_dir: Optional[str] = None,
                        true_mask_dir: Optional[str] = None,
                        cfg_options: Optional[dict] = None) -> Config:
    """A segmentation config trained on ``train_split`` with pseudo labels
    (``pseudo_label_dir``) or with the true masks (``true_mask_dir``; None:
    the layout's), its training set in the layout of ``data_root`` (see
    :func:`~mmwsss.apis.data_roots.pseudo_label_train_set` and
    :func:`~mmwsss.apis.data_roots.true_mask_train_set`)."""
    options = {'model.decode_head.num_classes': num_classes + 1}
    # DeepLab-v2 has no auxiliary head.
    if load_config(config).model.get('auxiliary_head') is not None:
        options['model.auxiliary_head.num_classes'] = num_classes + 1
    options.update(cfg_options or {})
    cfg = load_config(config, options, data_root=data_root)
    train_set = cfg.train_dataloader.dataset
    if pseudo_label_dir is not None:
        cfg.train_dataloader.dataset = pseudo_label_train_set(
            train_set, data_root, train_split, pseudo_label_dir)
    else:
        cfg.train_dataloader.dataset = true_mask_train_set(
            train_set, data_root, train_split, true_mask_dir)
    return cfg


#: What :func:`run_pseudo_labels` can refine seeds with.
REFINE_CHOICES = ('crf', 'irn', 'irn+crf', 'psa', 'psa+crf')

#: How the CRF labels and IRN's walk get their background threshold (see
#: :func:`run_pseudo_labels`).
BG_RULES = ('swept', 'config')


def config_bg_threshold(config: Union[str, Config]) -> float:
    """The seed threshold a method's config states
    (``model.test_cfg.bg_threshold``)."""
    cfg = config if isinstance(config, Config) else load_config(config)
    value = (cfg.model.get('test_cfg', None) or {}).get('bg_threshold')
    if value is None:
        raise InputKeyError(
            f'{cfg.filename}: model.test_cfg.bg_threshold is not set; '
            "bg_rule='config' needs it (or use bg_rule='swept')")
    return float(value)


def default_refine(method: str, preset: str) -> str:
    """How the paper of ``method`` turns its seeds into masks (``'irn'``,
    ``'psa'`` or ``'crf'``), where that refinement has a config for
    ``preset``; else the dense CRF (``'crf'``)."""
    refine = METHODS.get(method, {}).get('refine', 'crf')
    if refine in REFINEMENTS and REFINEMENTS[refine].get(preset) is None:
        return 'crf'
    return refine


def refinement_settings(
        refine: str,
        seed_config: Union[str, Config],
        preset: str,
        data_root: str,
        cfg_options: Optional[dict] = None) -> Tuple[Config, dict, dict]:
    """The affinity-network config of ``refine`` under ``preset`` and its
    training-label and random-walk settings: the refinement config's, then
    the seed method config's (ReCAM's paper uses its own thresholds)."""
    spec = REFINEMENTS[refine]
    config = spec[preset]
    cfg = load_config(config, cfg_options, data_root=data_root)
    seed_cfg = load_config(seed_config)
    label_cfg = dict(cfg.get(spec['labels'], None) or {})
    label_cfg.update(seed_cfg.get(spec['labels'], None) or {})
    walk_cfg = dict(cfg.get('random_walk_cfg', None) or {})
    # A seed config states the walk of its paper (ReCAM: IRN's background
    # 0.28); settings another walk does not have stay out of it.
    seed_walk = dict(seed_cfg.get('random_walk_cfg', None) or {})
    known = set().union(*map(set, RANDOM_WALK_DEFAULTS.values()))
    if set(seed_walk) - known:
        raise InputKeyError(
            f'{seed_cfg.filename}: random_walk_cfg has unknown settings '
            f'{sorted(set(seed_walk) - known)}; known: {sorted(known)}')
    walk_cfg.update({
        key: value
        for key, value in seed_walk.items()
        if key in RANDOM_WALK_DEFAULTS[refine]
    })
    return cfg, label_cfg, check_random_walk_settings(refine, walk_cfg)


def affinity_label_settings(refine: str, label_cfg: dict) -> dict:
    """:func:`generate_pseudo_labels` settings of an affinity network's
    training labels: IRN's confident regions (CRF-refined foreground above
    ``fg_threshold``, background below ``bg_threshold``, 255 between) or
    PSA's two power-background CRF maps."""
    if refine == 'irn':
        return dict(
            mode='confident',
            fg_threshold=label_cfg.get('fg_threshold', 0.30),
            low_threshold=label_cfg.get('bg_threshold', 0.05),
            crf=CRF_DEFAULTS)
    return dict(
        mode='psa_affinity',
        low_alpha=label_cfg.get('low_alpha', 4.0),
        high_alpha=label_cfg.get('high_alpha', 32.0))


def run_refinement(record: StageRecord,
                   refine: str,
                   seeds: dict,
                   data_root: str,
                   work_dir: str,
                   preset: str,
                   split: str,
                   seed_config: Union[str, Config],
                   num_classes: int,
                   cfg_options: Optional[dict] = None,
                   num_workers: int = 2,
                   device: Optional[str] = None,
                   seed_split: Optional[str] = None,
                   bg_rule: str = 'swept',
                   crf: bool = False) -> dict:
    """Seeds refined by an affinity network, each step a stage named after
    the refinement: its training labels from the CAMs of ``split``
    (``<refine>_train_labels``), its training (``<refine>_train``, in
    ``<work_dir>/<refine>``), then the random walk.

    Then the boundary map's AP against the true class edges of
    ``seed_split`` (``<refine>_boundary_eval``, see
    :func:`~mmwsss.apis.random_walk.evaluate_boundary_map`). IRN: the
    walk's scores of ``split``
    (``irn_scores``), their background sweep on ``seed_split``
    (``irn_scores_eval``) and the labels (``irn_labels``; with ``crf``,
    ``irn_crf_labels``: a dense CRF on the walk's scores) at the swept
    threshold (``bg_rule='swept'``) or the config's (``'config'``). PSA:
    with ``'swept'`` the background exponent's sweep on ``seed_split``
    (``psa_alpha_eval``), then the labels of its propagated background
    (``psa_labels``; with ``crf``, ``psa_crf_labels``: a dense CRF on
    them).

    On the demo preset the network starts from the seed classifier's
    backbone (no ImageNet weights offline); on VOC from ImageNet.

    Returns:
        dict: The labels' outputs: ``label_dir``, ``settings`` (the
        walk's), ``fingerprint``, ``bg_threshold`` (IRN); ``trained``, the
        training's; ``boundary`` (IRN's boundary evaluation) and
        ``score_sweep`` (IRN's background sweep), else None.
    """
    seed_split = seed_split or split
    cfg, label_cfg, walk_cfg = refinement_settings(refine, seed_config,
                                                   preset, data_root,
                                                   cfg_options)
    data = data_identity(data_root)
    cams = seeds['fingerprints']['cams']
    train_label_dir = osp.join(work_dir, f'{refine}_train_labels')
    label_settings = affinity_label_settings(refine, label_cfg)
    train_labels = run_stage(
        record,
        f'{refine}_train_labels',
        lambda: dict(
            label_dir=train_label_dir,
            written=generate_pseudo_labels(
                seeds['cam_dir'],
                data_root,
                split,
                train_label_dir,
                num_classes=num_classes,
                num_workers=num_workers,
                overwrite=True,
                **label_settings)),
        inputs=dict(
            cams=cams,
            settings=label_settings,
            split=split,
            data_root=data),
        folders=[train_label_dir])
    # How clean the training labels are: background precision is the
    # share of confident background that truly is background, the
    # foreground's the reverse.
    train_label_eval = evaluate_label_stage(
        record, f'{refine}_train_labels_eval', train_labels, data_root,
        seed_split)

    # Training labels hold class indices: the loss checks them.
    for head in cfg.model.values():
        if isinstance(head, dict) and 'num_classes' in head:
            head['num_classes'] = num_classes + 1
    cfg.train_dataloader.dataset = pseudo_label_train_set(
        cfg.train_dataloader.dataset, data_root, split, train_label_dir)
    if preset == 'demo':
        cfg.load_from = seeds['checkpoint']
    train_dir = osp.join(work_dir, refine)

    def train():
        os.makedirs(train_dir, exist_ok=True)
        config = osp.join(train_dir, f'{refine}_config.py')
        cfg.dump(config)
        checkpoint, _, seconds_per_iter = train_and_test(
            cfg.copy(), train_dir, test=False,
            label=stage_label(record, f'{refine}_train'))
        return dict(
            config=config,
            checkpoint=checkpoint,
            seconds_per_iter=seconds_per_iter)

    trained = run_stage(
        record,
        f'{refine}_train',
        train,
        inputs=dict(
            config=config_inputs(cfg),
            labels=train_labels['fingerprint'],
            backbone=seeds['fingerprints']['train']
            if preset == 'demo' else None,
            data_root=data),
        folders=[train_dir])
    boundary = evaluation_stage(
        record, f'{refine}_boundary_eval',
        osp.join(train_dir, f'boundary_eval_{seed_split}.json'),
        lambda: evaluate_boundary_map(
            trained['config'],
            trained['checkpoint'],
            seed_split,
            data_root=data_root,
            num_workers=num_workers,
            device=device), format_boundary_eval,
        'boundary AP {boundary_ap:.2f} % (chance {chance:.2f} %)',
        dict(trained=trained['fingerprint'], split=seed_split,
             data_root=data))

    def walk_stage(name, folder, outputs, label_dir=None, score_dir=None,
                   crf=None):
        """The random walk of the trained network as stage ``name``
        writing ``folder``: labels, scores (IRN) or both, with the walk
        settings current when it runs."""
        inputs = dict(
            trained=trained['fingerprint'],
            cams=cams,
            settings=walk_cfg,
            split=split,
            data_root=data)
        if crf is not None:
            inputs['crf'] = crf
        return run_stage(
            record,
            name,
            lambda: dict(
                outputs,
                written=make_sem_seg_labels(
                    cfg,
                    trained['checkpoint'],
                    seeds['cam_dir'],
                    label_dir,
                    split=split,
                    data_root=data_root,
                    settings=walk_cfg,
                    score_dir=score_dir,
                    num_workers=num_workers,
                    device=device,
                    overwrite=True,
                    crf=crf)),
            inputs=inputs,
            folders=[folder])

    if refine != 'irn':
        # PSA's background is its exponent alpha: swept on the seed split
        # (one walk per image for every alpha) or the config's.
        sweep = None
        if bg_rule == 'swept':
            sweep = evaluation_stage(
                record, 'psa_alpha_eval',
                osp.join(train_dir, f'alpha_sweep_{seed_split}.json'),
                lambda: sweep_psa_alpha(
                    trained['config'],
                    trained['checkpoint'],
                    seeds['cam_dir'],
                    seed_split,
                    data_root=data_root,
                    settings=walk_cfg,
                    alphas=PSA_ALPHAS,
                    num_workers=num_workers,
                    device=device), format_alpha_sweep,
                'mIoU {best_miou:.2f} at alpha {best_alpha:g}',
                dict(
                    trained=trained['fingerprint'],
                    cams=cams,
                    settings=walk_cfg,
                    alphas=PSA_ALPHAS,
                    split=seed_split,
                    data_root=data))
            walk_cfg = dict(walk_cfg, alpha=sweep['best_alpha'])
        name = 'psa_crf' if crf else 'psa'
        label_dir = osp.join(work_dir, f'{name}_labels')
        label_crf = CRF_DEFAULTS if crf else None
        labels = walk_stage(
            f'{name}_labels',
            label_dir,
            dict(label_dir=label_dir, settings=walk_cfg),
            label_dir=label_dir,
            crf=label_crf)
        return dict(
            labels,
            trained=trained,
            train_labels=train_label_eval,
            boundary=boundary,
            score_sweep=None,
            alpha_sweep=sweep)

    score_dir = osp.join(work_dir, 'irn_scores')
    scores = walk_stage(
        'irn_scores', score_dir, dict(cam_dir=score_dir), score_dir=score_dir)
    sweep = evaluate_seed_stage(record, 'irn_scores_eval', scores, data_root,
                                seed_split, what='label')
    threshold = sweep['best_threshold'] if bg_rule == 'swept' else \
        walk_cfg['bg_threshold']
    name = 'irn_crf' if crf else 'irn'
    label_dir = osp.join(work_dir, f'{name}_labels')
    threshold_settings = dict(
        bg_threshold=threshold, crf=CRF_DEFAULTS if crf else None)
    labels = run_stage(
        record,
        f'{name}_labels',
        lambda: dict(
            label_dir=label_dir,
            settings=walk_cfg,
            bg_threshold=threshold,
            written=generate_pseudo_labels(
                score_dir,
                data_root,
                split,
                label_dir,
                num_classes=num_classes,
                num_workers=num_workers,
                overwrite=True,
                **threshold_settings)),
        inputs=dict(
            scores=scores['fingerprint'],
            settings=threshold_settings,
            split=split,
            data_root=data),
        folders=[label_dir])
    return dict(
        labels,
        trained=trained,
        train_labels=train_label_eval,
        boundary=boundary,
        alpha_sweep=None,
        score_sweep=dict(sweep, score_dir=score_dir))


def run_pseudo_labels(data_root: str,
                      work_dir: str,
                      method: str = 'recam',
                      preset: str = 'demo',
                      refine: Optional[str] = None,
                      pseudo_label_cfg: Optional[dict] = None,
                      cfg_options: Optional[dict] = None,
                      refine_cfg_options: Optional[dict] = None,
                      num_workers: int = 2,
                      device: Optional[str] = None,
                      label_work_dir: Optional[str] = None,
                      bg_rule: str = 'swept') -> dict:
    """Seeds of ``method`` and their pseudo labels, evaluated: the first
    half of :func:`run_pipeline`. Seed stages write under ``work_dir``,
    label stages under ``label_work_dir`` (default ``work_dir``), so that
    methods compared side by side share one CAM classifier.

    Pseudo labels come from ``refine``: ``'crf'`` (a constant background
    score, dense CRF), ``'irn'`` (IRN's boundary network and random walk),
    ``'irn+crf'`` (the same with a dense CRF on the walk's scores),
    ``'psa'`` (AffinityNet's random walk) or ``'psa+crf'`` (a dense CRF on
    its labels); default: what the method's paper uses (see
    :func:`default_refine`).

    ``bg_rule`` sets the background of the CRF labels and of IRN's walk by
    one rule, so that they compare like for like: ``'swept'``, each the
    best threshold of its own scores swept on the seed split (the CAMs'
    for the CRF labels, the walk's saved scores for IRN); ``'config'``,
    both from the configs (the seed method's ``test_cfg.bg_threshold``,
    ``random_walk_cfg.bg_threshold``). A ``bg_threshold`` in
    ``pseudo_label_cfg`` still sets the CRF labels'. PSA propagates a
    background of exponent ``alpha``: swept on the seed split among
    :data:`~mmwsss.apis.random_walk.PSA_ALPHAS`, or
    ``random_walk_cfg.alpha``.
    Each kind has its own stages and folder (``crf_labels``,
    ``irn_labels``, ``psa_labels``), so one work dir holds all three and
    a switch of ``refine`` reuses what is truly shared. With a random walk,
    the CRF-only labels of the seed split are still made and evaluated, to
    compare.

    Returns:
        dict: ``seeds`` (the seed summary), ``refine``, ``crf`` and
        ``pseudo`` (evaluations of the CRF-only labels and of the labels
        used), ``label_dir``, ``labels`` (the outputs of the stage that
        made them), ``refinement`` (the random walk's outputs, or None)
        and ``record`` (the :class:`StageRecord`). ``pseudo_label_cfg`` may
        name ``saliency_dir`` (user-supplied saliency maps for the
        background score of the CRF labels).
    """
    preset_cfg = PRESETS[preset] if preset in PRESETS else None
    if preset_cfg is None:
        raise InputValueError(f'unknown preset {preset!r}; choose from '
                              f'{sorted(PRESETS)}')
    refine = refine or default_refine(method, preset)
    if refine not in REFINE_CHOICES:
        raise InputValueError(
            f'refine must be one of {list(REFINE_CHOICES)}, got {refine!r}')
    if bg_rule not in BG_RULES:
        raise InputValueError(
            f'bg_rule must be one of {list(BG_RULES)}, got {bg_rule!r}')
    walk = refine.split('+')[0]
    if refine != 'crf' and REFINEMENTS[walk].get(preset) is None:
        raise InputValueError(
            f'refine {refine!r} has no {preset!r} config; use '
            "refine='crf'")
    check_data_root(data_root, [
        preset_cfg['cam_split'], preset_cfg['seed_split'],
        preset_cfg['val_split']
    ])
    data_root = osp.abspath(data_root)
    saliency_dir = (pseudo_label_cfg or {}).get('saliency_dir')
    if saliency_dir is not None and not osp.isdir(saliency_dir):
        raise InputFileNotFoundError(
            f'saliency folder not found: {saliency_dir}')
    num_classes = num_foreground_classes(data_root, preset_cfg['cam_split'])
    root = osp.abspath(work_dir)
    os.makedirs(root, exist_ok=True)
    seeds = run_method_seeds(data_root, root, method, preset, cfg_options,
                             device)
    work_dir = osp.abspath(label_work_dir or root)
    os.makedirs(work_dir, exist_ok=True)
    record = StageRecord(work_dir, root=root)
    seed_split = preset_cfg['seed_split']

    if METHODS.get(method, {}).get('driver') == 'sec':
        return sec_pseudo_labels(record, seeds, data_root, preset_cfg,
                                 device)

    seed_threshold = seeds['seed_threshold'] if bg_rule == 'swept' else \
        config_bg_threshold(method_config(method, preset))
    settings = dict(bg_threshold=seed_threshold, crf=CRF_DEFAULTS)
    settings.update(pseudo_label_cfg or {})
    if settings.get('saliency_dir') is not None:
        settings['saliency_dir'] = osp.abspath(settings['saliency_dir'])
    # The CRF labels: used for training, or made on the seed split only to
    # compare with the random walk.
    crf_split = preset_cfg['cam_split'] if refine == 'crf' else seed_split
    crf_dir = osp.join(work_dir, 'crf_labels')
    crf_labels = run_stage(
        record,
        'crf_labels',
        lambda: dict(
            label_dir=crf_dir,
            settings=dict(settings),
            written=generate_pseudo_labels(
                seeds['cam_dir'],
                data_root,
                crf_split,
                crf_dir,
                num_classes=num_classes,
                num_workers=num_workers,
                overwrite=True,
                **settings)),
        inputs=dict(
            cams=seeds['fingerprints']['cams'],
            settings=settings,
            split=crf_split,
            data_root=data_identity(data_root)),
        folders=[crf_dir])
    crf = evaluate_label_stage(record, 'crf_eval', crf_labels, data_root,
                               seed_split)
    if refine == 'crf':
        labels, pseudo, refinement = crf_labels, crf, None
    else:
        refinement = run_refinement(
            record, walk, seeds, data_root, work_dir, preset,
            preset_cfg['cam_split'], method_config(method, preset),
            num_classes, refine_cfg_options, num_workers, device,
            seed_split=seed_split, bg_rule=bg_rule,
            crf=refine.endswith('+crf'))
        labels = refinement
        pseudo = evaluate_label_stage(record,
                                      f"{refine.replace('+', '_')}_eval",
                                      labels, data_root, seed_split)
    return dict(
        seeds=seeds,
        refine=refine,
        bg_rule=bg_rule,
        crf_bg_threshold=settings['bg_threshold'],
        crf=crf,
        pseudo=pseudo,
        label_dir=labels['label_dir'],
        labels=labels,
        crf_label_dir=crf_dir,
        refinement=refinement,
        record=record)


def sec_pseudo_labels(record: StageRecord, seeds: dict, data_root: str,
                      preset_cfg: dict, device: Optional[str] = None) -> dict:
    """SEC's pseudo labels: its segmentation network's labels (with its
    test-time CRF), of the seed split from the seed stage and of the rest
    of the training split here (stage ``sec_labels``). No separate CRF or
    random walk follows."""
    labels = dict(
        label_dir=seeds['label_dir'],
        fingerprint=seeds['fingerprints']['labels'])
    cam_split, seed_split = preset_cfg['cam_split'], preset_cfg['seed_split']
    if cam_split != seed_split:
        label_dir = osp.join(record.work_dir, 'sec_labels')
        labels = run_stage(
            record,
            'sec_labels',
            lambda: dict(
                label_dir=label_dir,
                written=make_sec_labels(
                    seeds['config_file'],
                    seeds['checkpoint'],
                    label_dir,
                    split=cam_split,
                    data_root=data_root,
                    device=device,
                    overwrite=True)),
            inputs=dict(
                trained=seeds['fingerprints']['train'],
                split=cam_split,
                data_root=data_identity(data_root)),
            folders=[label_dir])
    pseudo = evaluate_label_stage(record, 'sec_eval', labels, data_root,
                                  seed_split)
    return dict(
        seeds=seeds,
        refine='sec',
        crf=None,
        pseudo=pseudo,
        label_dir=labels['label_dir'],
        labels=labels,
        crf_label_dir=None,
        refinement=None,
        record=record)


def run_pipeline(data_root: str,
                 work_dir: str,
                 method: str = 'recam',
                 preset: str = 'demo',
                 refine: Optional[str] = None,
                 full_supervision: bool = False,
                 pseudo_label_cfg: Optional[dict] = None,
                 seg_config: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 seg_cfg_options: Optional[dict] = None,
                 refine_cfg_options: Optional[dict] = None,
                 num_workers: int = 2,
                 device: Optional[str] = None,
                 bg_rule: str = 'swept') -> dict:
    """The whole pipeline: seeds of ``method`` → pseudo labels (see
    :func:`run_pseudo_labels`) → their evaluation → segmentation on them →
    mIoU on the val masks; with ``full_supervision`` the same segmentor on
    the true masks too. ``data_root`` is in VOC layout (presets ``demo``
    and ``voc``) or COCO layout (preset ``coco``).

    Every stage records a fingerprint of what it depends on; a rerun skips
    the stages whose fingerprint is unchanged and reruns the others and
    everything downstream of them (see
    :func:`~mmwsss.apis.stages.run_stage`).

    Returns:
        dict: The summary, also written to ``<work_dir>/summary.json``
        (there with paths relative to the work dir).
    """
    work_dir = osp.abspath(work_dir)
    labels = run_pseudo_labels(
        data_root,
        work_dir,
        method,
        preset,
        refine,
        pseudo_label_cfg,
        cfg_options,
        refine_cfg_options,
        num_workers,
        device,
        bg_rule=bg_rule)
    data_root = osp.abspath(data_root)
    preset_cfg = PRESETS[preset]
    record = labels['record']
    segmentors = run_segmentation(
        record, data_root, work_dir, seg_config or preset_cfg['seg_config'],
        preset_cfg, labels['labels'], full_supervision, seg_cfg_options)
    summary = pipeline_summary(method, preset, data_root, labels, segmentors)
    summary['figures'] = run_figures(record, work_dir, data_root, labels,
                                     segmentors['segmentation'], preset_cfg,
                                     device)
    summary['stage_seconds'] = stage_seconds(work_dir, record,
                                             seed_stage_dirs(method, preset))
    summary['total_seconds'] = round(sum(summary['stage_seconds'].values()),
                                     1)
    save_summary(summary, work_dir)
    return summary


def run_segmentation(record: StageRecord,
                     data_root: str,
                     work_dir: str,
                     seg_config: str,
                     preset_cfg: dict,
                     labels: dict,
                     full_supervision: bool = False,
                     seg_cfg_options: Optional[dict] = None) -> dict:
    """Train and test the segmentor on the pseudo labels of stage outputs
    ``labels`` (``label_dir``, ``fingerprint``; stage ``segmentation``)
    and, with ``full_supervision``, on the true masks (stage
    ``full_supervision``), each in ``<work_dir>/<stage>``.

    Returns:
        dict: Per stage its ``config`` (the dumped config trained),
        ``checkpoint``, test ``metrics`` and ``fingerprint``.
    """
    num_classes = num_foreground_classes(data_root, preset_cfg['cam_split'])
    runs = [('segmentation', dict(pseudo_label_dir=labels['label_dir']),
             labels['fingerprint'])]
    if full_supervision:
        runs.append(('full_supervision',
                     dict(true_mask_dir=preset_cfg.get('true_mask_dir')),
                     None))
    results = {}
    for name, source, label_fingerprint in runs:
        cfg = segmentation_config(
            seg_config,
            data_root,
            num_classes,
            preset_cfg['cam_split'],
            cfg_options=seg_cfg_options,
            **source)
        train_dir = osp.join(work_dir, name)

        def train_segmentor(name=name, cfg=cfg, train_dir=train_dir):
            os.makedirs(train_dir, exist_ok=True)
            config_path = osp.join(train_dir, f'{name}_config.py')
            cfg.dump(config_path)
            checkpoint, metrics, _ = train_and_test(
                cfg.copy(), train_dir, label=stage_label(record, name))
            return dict(
                config=config_path, checkpoint=checkpoint, metrics=metrics)

        results[name] = run_stage(
            record,
            name,
            train_segmentor,
            _summarize_training,
            inputs=dict(
                config=config_inputs(cfg),
                labels=label_fingerprint,
                data_root=data_identity(data_root)),
            folders=[train_dir])
    return results


def pipeline_summary(method: str, preset: str, data_root: str, labels: dict,
                     segmentors: dict) -> dict:
    """The figures of a pipeline run (mIoU and mAP in percent), from the
    outputs of :func:`run_pseudo_labels` and :func:`run_segmentation`.
    ``refine``, ``pseudo_label_dir`` and the ``pseudo_*`` figures always
    describe the labels the segmentor trained on (see
    :data:`SUMMARY_KEYS`)."""
    seeds, crf, pseudo = labels['seeds'], labels['crf'], labels['pseudo']
    final = segmentors['segmentation']['metrics']['mIoU']
    summary = dict(
        method=method,
        preset=preset,
        refine=labels['refine'],
        data_root=osp.abspath(data_root),
        seed_miou=seeds['seed_miou'],
        seed_threshold=seeds['seed_threshold'],
        background_miou=seeds['background_miou'],
        classifier_map=seeds['classifier_map'],
        crf_pseudo_miou=crf['miou'] if crf else None,
        pseudo_miou=pseudo['miou'],
        pseudo_precision=pseudo['mean_precision'],
        pseudo_recall=pseudo['mean_recall'],
        pseudo_ignored_fraction=pseudo['ignored_fraction'],
        final_miou=final,
        bg_rule=labels['bg_rule'],
        crf_bg_threshold=labels['crf_bg_threshold'],
        cam_dir=seeds['cam_dir'],
        crf_label_dir=labels['crf_label_dir'],
        pseudo_label_dir=osp.abspath(labels['label_dir']),
        segmentation_checkpoint=segmentors['segmentation']['checkpoint'])
    refinement = labels['refinement']
    if refinement is not None:
        trained = refinement['trained']
        boundary, sweep = refinement['boundary'], refinement['score_sweep']
        summary.update(
            affinity_labels=affinity_label_quality(
                refinement['train_labels']))
        if boundary is not None:
            summary.update(
                boundary_ap=boundary['boundary_ap'],
                boundary_ap_chance=boundary['chance'])
        if refinement['alpha_sweep'] is not None:
            alpha = refinement['alpha_sweep']
            summary.update(
                refine_alpha=alpha['best_alpha'],
                refine_swept_miou=alpha['best_miou'])
        if sweep is not None:
            summary.update(
                refine_bg_threshold=refinement['bg_threshold'],
                refine_swept_miou=sweep['best_miou'],
                refine_swept_threshold=sweep['best_threshold'],
                refine_score_dir=sweep['score_dir'])
        summary.update(
            refine_pseudo_miou=pseudo['miou'],
            refine_settings=refinement['settings'],
            affinity_checkpoint=trained['checkpoint'],
            affinity_seconds_per_iter=trained['seconds_per_iter'])
    if 'full_supervision' in segmentors:
        full = segmentors['full_supervision']['metrics']['mIoU']
        summary.update(
            full_supervision_miou=full,
            full_supervision_ratio=round(final / full, 4) if full else None)
    return summary


def affinity_label_quality(evaluation: dict) -> dict:
    """The figures of an affinity network's training labels: mIoU over the
    labelled pixels, the precision of the confident background (the share
    that truly is background) and the mean precision of the confident
    foreground classes, and the share left unsure (255), in percent."""
    per_class = list(evaluation['per_class'].values())
    foreground = [c['precision'] for c in per_class[1:]
                  if c['precision'] is not None]
    return dict(
        miou=evaluation['miou'],
        background_precision=per_class[0]['precision'],
        foreground_precision=round(sum(foreground) / len(foreground), 2)
        if foreground else None,
        unsure_fraction=evaluation['ignored_fraction'])


def run_figures(record: StageRecord,
                work_dir: str,
                data_root: str,
                labels: dict,
                segmentation: dict,
                preset_cfg: dict,
                device: Optional[str] = None) -> Dict[str, str]:
    """The figures of a run as stage ``figures``: drawn again whenever the
    CAMs, the labels or the segmentor they show changed."""
    refinement = labels['refinement']
    fig_dir = osp.join(work_dir, 'figures')

    def work():
        figures = render_figures(work_dir, data_root,
                                 labels['seeds']['cam_dir'],
                                 labels['label_dir'], segmentation['config'],
                                 segmentation['checkpoint'], preset_cfg,
                                 device)
        if refinement is not None:
            figures['refinement'] = render_refinement_figure(
                work_dir, data_root, labels['seeds']['cam_dir'],
                refinement['trained'], {
                    labels['refine']: labels['label_dir'],
                    'CRF': labels['crf_label_dir']
                }, refinement['settings'], preset_cfg, device)
        return figures

    outputs = run_stage(
        record,
        'figures',
        work,
        inputs=dict(
            cams=labels['seeds']['fingerprints']['cams'],
            labels=labels['labels']['fingerprint'],
            crf_labels=labels['crf']['fingerprint']
            if labels['crf'] else None,
            segmentation=segmentation['fingerprint'],
            data_root=data_identity(data_root)),
        folders=[fig_dir])
    names = ['cams', 'pseudo_labels', 'predictions'] + (
        ['refinement'] if refinement is not None else [])
    return {name: outputs[name] for name in names}


def seed_stage_dirs(method: str, preset: str) -> List[str]:
    """The folders (under a pipeline's work dir) of the seed stages of
    ``method``: the stage it builds on or reads, then its own."""
    spec = METHODS[method]
    base = None if spec.get('driver') else builds_on(
        method_config(method, preset))
    if base is not None:
        return [base_stage_dir(base['config'], preset), method]
    if spec.get('reads_cam') or spec.get('driver') == 'sec':
        return ['cam', method]
    return [method]


def stage_seconds(work_dir: str, record: StageRecord,
                  seed_dirs: Sequence[str]) -> dict:
    """Seconds of every finished stage: those recorded in each of
    ``seed_dirs`` under ``work_dir``, prefixed with the folder, then
    ``record``'s."""
    seconds = {}
    for stage_dir in seed_dirs:
        path = osp.join(work_dir, stage_dir)
        for stage, value in StageRecord(path).seconds().items():
            seconds[f'{stage_dir}/{stage}'] = value
    seconds.update(record.seconds())
    return seconds


def render_figures(work_dir: str,
                   data_root: str,
                   cam_dir: str,
                   label_dir: str,
                   seg_config: Union[str, Config],
                   seg_checkpoint: str,
                   preset_cfg: dict,
                   device: Optional[str] = None,
                   num_images: int = 4) -> Dict[str, str]:
    """CAM, pseudo-label and prediction grids of the first few images,
    written to ``<work_dir>/figures``; existing figures are kept."""
    fig_dir = osp.join(work_dir, 'figures')
    cam_split, val_split = preset_cfg['cam_split'], preset_cfg['val_split']
    seed_ids = split_ids(data_root, cam_split)[:num_images]
    val_ids = split_ids(data_root, val_split)[:num_images]
    figures = dict(
        cams=osp.join(fig_dir, 'cams.png'),
        pseudo_labels=osp.join(fig_dir, 'pseudo_labels.png'),
        predictions=osp.join(fig_dir, 'predictions.png'))
    if not osp.isfile(figures['cams']):
        render_cam_grid(data_root, cam_dir, seed_ids, figures['cams'],
                        split=cam_split)
    if not osp.isfile(figures['pseudo_labels']):
        render_label_grid(data_root, label_dir, seed_ids,
                          figures['pseudo_labels'],
                          truth_dir=preset_cfg.get('true_mask_dir'),
                          split=cam_split)
    if not osp.isfile(figures['predictions']):
        model, cfg = init_model(seg_config, seg_checkpoint, device,
                                data_root=data_root)
        render_prediction_grid(
            model,
            build_split_dataset(cfg, val_split, data_root),
            data_root, val_ids, figures['predictions'], split=val_split)
    return figures


def render_refinement_figure(work_dir: str,
                             data_root: str,
                             cam_dir: str,
                             trained: dict,
                             label_dirs: Dict[str, str],
                             settings: dict,
                             preset_cfg: dict,
                             device: Optional[str] = None,
                             num_images: int = 4) -> str:
    """The affinity network's boundary (or affinity) maps, CAMs, propagated
    scores and labels of the first few seed-split images, written to
    ``<work_dir>/figures/refinement.png`` unless it exists."""
    out_file = osp.join(work_dir, 'figures', 'refinement.png')
    if not osp.isfile(out_file):
        model, cfg = init_model(trained['config'], trained['checkpoint'],
                                device)
        split = preset_cfg['seed_split']
        ids = split_ids(data_root, split)[:num_images]
        render_refinement_grid(model,
                               build_split_dataset(cfg, split, data_root),
                               cam_dir, label_dirs, ids, out_file, settings)
    return out_file


def format_summary(summary: dict) -> str:
    """The pipeline's result table."""
    table = PrettyTable(['result', 'value'])
    table.align['result'] = 'l'
    rows = [
        ('all-background baseline mIoU (%)', summary['background_miou']),
        (f"seed mIoU (%), {summary['method']}", summary['seed_miou']),
        ('best background threshold', summary['seed_threshold']),
        ('background rule (CRF and walk)', summary.get('bg_rule')),
        ('CRF labels: background threshold', summary.get('crf_bg_threshold')
         if summary.get('refine', 'crf') != 'crf' else None),
        (f"{summary.get('refine')} labels: background threshold",
         summary.get('refine_bg_threshold')),
        ('affinity labels: bg / fg precision (%), unsure (%)',
         None if not summary.get('affinity_labels') else
         '{background_precision:.2f} / {foreground_precision:.2f}, '
         '{unsure_fraction:.2f}'.format(**summary['affinity_labels'])),
        (f"{summary.get('refine')} labels: background alpha",
         summary.get('refine_alpha')),
        ('boundary AP (%) / chance (%)',
         None if summary.get('boundary_ap') is None else
         f"{summary['boundary_ap']:.2f} / "
         f"{summary['boundary_ap_chance']:.2f}"),
        ('classifier mAP (%), val', summary.get('classifier_map')),
        ('pseudo-label mIoU (%), CRF only', summary.get('crf_pseudo_miou')
         if summary.get('refine', 'crf') != 'crf' else None),
        (f"pseudo-label mIoU (%), {summary.get('refine', 'crf')}",
         summary.get('pseudo_miou')),
        ('pseudo-label precision / recall (%)',
         None if summary.get('pseudo_precision') is None else
         f"{summary['pseudo_precision']:.2f} / "
         f"{summary['pseudo_recall']:.2f}"),
        ('final mIoU (%), val', summary.get('final_miou')),
        ('fully-supervised mIoU (%), val',
         summary.get('full_supervision_miou')),
        ('final / fully-supervised', summary.get('full_supervision_ratio')),
        ('figures', osp.dirname(summary['figures']['cams'])
         if summary.get('figures') else None),
    ]
    for name, value in rows:
        if value is not None:
            table.add_row(
                [name, value if isinstance(value, str) else f'{value:.2f}'])
    for stage, seconds in summary['stage_seconds'].items():
        table.add_row([f'{stage} (s)', f'{seconds:.1f}'])
    table.add_row(['total (s)', f"{summary['total_seconds']:.1f}"])
    return table.get_string()
