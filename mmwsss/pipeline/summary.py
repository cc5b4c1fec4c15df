"""The pipeline's ``summary.json``: its keys as a typed schema, and the
result table the tools print."""
import os.path as osp
from typing import Dict, Tuple

from prettytable import PrettyTable

from mmwsss.utils.errors import InputValueError

_NUMBER = (int, float)
_OPTIONAL_NUMBER = (int, float, type(None))
_TEXT = (str, )
_OPTIONAL_TEXT = (str, type(None))

#: Every key of a pipeline's ``summary.json``: its types and meaning.
#: Percentages are mIoU / mAP in percent; "seed split" and "val split" are
#: the pipeline's ``data.seed_split`` and ``data.val_split``. Keys marked
#: "refinement" are present only when a random walk made the labels.
SUMMARY_SCHEMA: Dict[str, Tuple[tuple, str]] = dict(
    method=(_TEXT, 'the seed method (the pipeline config\'s method)'),
    preset=(_TEXT, 'the data preset: demo, voc or coco'),
    refine=(_TEXT, 'how the seeds became the labels the segmentor '
            'trained on: crf, irn, irn+crf, psa, psa+crf or sec'),
    data_root=(_TEXT, 'the dataset (absolute)'),
    seed_miou=(_NUMBER, 'seed mIoU on the seed split at the best '
               'background threshold (SEC: its labels\' mIoU)'),
    seed_threshold=(_OPTIONAL_NUMBER, 'that best background threshold '
                    '(None: SEC has none)'),
    background_miou=(_OPTIONAL_NUMBER, 'mIoU of labelling every pixel '
                     'background on the seed split: the floor the seeds '
                     'must beat'),
    classifier_map=(_OPTIONAL_NUMBER, 'the seed method\'s classifier mAP '
                    'on the val split (multi-label)'),
    crf_pseudo_miou=(_OPTIONAL_NUMBER, 'mIoU of the CRF-only labels on the '
                     'seed split'),
    pseudo_miou=(_NUMBER, 'mIoU of the labels the segmentor trained on, '
                 'on the seed split'),
    pseudo_precision=(_NUMBER, 'their mean precision on the seed split'),
    pseudo_recall=(_NUMBER, 'their mean recall on the seed split'),
    pseudo_ignored_fraction=(_NUMBER, 'their share of ignored (255) '
                             'pixels'),
    final_miou=(_NUMBER, 'the segmentor\'s mIoU on the val split'),
    bg_rule=(_OPTIONAL_TEXT, 'swept or config: how the CRF labels and '
             'IRN\'s walk got their background'),
    crf_bg_threshold=(_OPTIONAL_NUMBER, 'the CRF labels\' background '
                      'threshold'),
    cam_dir=(_TEXT, 'the seeds\' CAM files (relative to the work dir)'),
    crf_label_dir=(_OPTIONAL_TEXT, 'the CRF labels'),
    pseudo_label_dir=(_TEXT, 'the labels the segmentor trained on'),
    segmentation_checkpoint=(_TEXT, 'the segmentor\'s checkpoint'),
    affinity_labels=((dict, ), 'refinement: the network\'s training '
                     'labels on the seed split: miou, background_precision '
                     '(share of confident background that is background), '
                     'foreground_precision, unsure_fraction (255)'),
    boundary_ap=(_NUMBER, 'refinement: AP of the boundary map against the '
                 'true class edges of the seed split'),
    boundary_ap_chance=(_NUMBER, 'refinement: the AP of a constant map '
                        '(the share of edge cells)'),
    refine_alpha=(_NUMBER, 'refinement (psa): the background exponent'),
    refine_bg_threshold=(_NUMBER, 'refinement (irn): the walk\'s '
                         'background threshold'),
    refine_swept_miou=(_NUMBER, 'refinement: the best mIoU of its '
                       'background sweep on the seed split'),
    refine_swept_threshold=(_NUMBER, 'refinement (irn): the best '
                            'threshold of that sweep'),
    refine_score_dir=(_TEXT, 'refinement (irn): the walk\'s saved scores'),
    refine_pseudo_miou=(_NUMBER, 'refinement: the walk\'s labels\' mIoU'),
    refine_settings=((dict, ), 'refinement: the walk\'s settings'),
    affinity_checkpoint=(_TEXT, 'refinement: the network\'s checkpoint'),
    affinity_seconds_per_iter=(_OPTIONAL_NUMBER, 'refinement: seconds per '
                               'training iteration of the network'),
    full_supervision_miou=(_NUMBER, 'with full supervision: the same '
                           'segmentor trained on the true masks, val split'),
    full_supervision_ratio=(_OPTIONAL_NUMBER, 'final_miou / '
                            'full_supervision_miou'),
    figures=((dict, ), 'the figures by name'),
    stage_seconds=((dict, ), 'seconds of every stage, by stage key'),
    total_seconds=(_NUMBER, 'their sum'),
)


def check_summary(summary: dict) -> None:
    """Raise naming the key unless ``summary`` follows
    :data:`SUMMARY_SCHEMA`."""
    for key, value in summary.items():
        if key not in SUMMARY_SCHEMA:
            raise InputValueError(f'summary key {key!r} is not in the '
                                  'schema')
        types = SUMMARY_SCHEMA[key][0]
        if not isinstance(value, types):
            raise InputValueError(
                f'summary key {key!r} is {type(value).__name__}, expected '
                f'{" or ".join(t.__name__ for t in types)}')


def format_summary(summary: dict) -> str:
    """The pipeline's result table, each row saying which split and which
    labels it describes."""
    refine = summary.get('refine', 'crf')
    walked = refine not in ('crf', 'sec')
    table = PrettyTable(['result', 'value'])
    table.align['result'] = 'l'
    rows = [
        ('all-background baseline mIoU (%), seed split',
         summary['background_miou']),
        (f"seed mIoU (%), {summary['method']}, seed split",
         summary['seed_miou']),
        ('best background threshold of the seeds', summary['seed_threshold']),
        ('background rule (CRF and walk)', summary.get('bg_rule')),
        ('CRF labels: background threshold',
         summary.get('crf_bg_threshold') if walked else None),
        (f'{refine} labels: background threshold',
         summary.get('refine_bg_threshold')),
        ('affinity training labels: bg / fg precision (%), unsure (%)',
         None if not summary.get('affinity_labels') else
         '{background_precision:.2f} / {foreground_precision:.2f}, '
         '{unsure_fraction:.2f}'.format(**summary['affinity_labels'])),
        (f'{refine} labels: background alpha', summary.get('refine_alpha')),
        ('boundary AP (%) / chance (%), seed split',
         None if summary.get('boundary_ap') is None else
         f"{summary['boundary_ap']:.2f} / "
         f"{summary['boundary_ap_chance']:.2f}"),
        ('seed classifier mAP (%), val split',
         summary.get('classifier_map')),
        ('pseudo-label mIoU (%), CRF only, seed split',
         summary.get('crf_pseudo_miou') if walked else None),
        (f'pseudo-label mIoU (%), {refine}, seed split',
         summary.get('pseudo_miou')),
        (f'{refine} labels: precision / recall (%)',
         None if summary.get('pseudo_precision') is None else
         f"{summary['pseudo_precision']:.2f} / "
         f"{summary['pseudo_recall']:.2f}"),
        ('final mIoU (%), val split', summary.get('final_miou')),
        ('fully-supervised mIoU (%), val split',
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
