"""Stage: train and test a segmentor on pseudo labels or true masks."""
from typing import Dict, List, Optional

from mmengine.config import Config

from mmwsss.apis import load_config, resolve_config_path
from mmwsss.apis.data_roots import (pseudo_label_train_set, split_ids,
                                    true_mask_train_set)
from mmwsss.utils.errors import InputValueError
from ..base import BaseStage, PipelineContext
from ..record import config_inputs
from ..registry import STAGES
from ..training import train_for_stage
from .train_classifier import summarize_training


def set_length_in_epochs(cfg: Config, epochs: float, num_images: int) -> None:
    """Make an iteration-based config train ``epochs`` passes over
    ``num_images`` images, in place: ``train_cfg.max_iters``, and each
    scheduler ``end`` and the validation interval that equalled the old
    length."""
    if cfg.train_cfg.get('type') != 'IterBasedTrainLoop':
        raise InputValueError(
            f'{cfg.filename}: epochs needs an IterBasedTrainLoop, got '
            f"{cfg.train_cfg.get('type')}")
    old = cfg.train_cfg.max_iters
    batch = cfg.train_dataloader.batch_size
    iters = max(1, round(epochs * num_images / batch))
    cfg.train_cfg.max_iters = iters
    if cfg.train_cfg.get('val_interval') == old:
        cfg.train_cfg.val_interval = iters
    schedulers = cfg.get('param_scheduler', None) or []
    for scheduler in (schedulers if isinstance(schedulers, list) else
                      [schedulers]):
        if scheduler.get('end') == old:
            scheduler['end'] = iters


@STAGES.register_module()
class TrainSegmentor(BaseStage):
    """Train an mmseg segmentor on the CAM split with pseudo labels (or,
    without ``labels``, with the true masks) in ``<folder>/<train_dir>``,
    then test it with mmseg's IoUMetric on its config's test split. The
    trained config is dumped there as ``<name>_config.py``.

    Args:
        config (str): The segmentation config.
        labels (str, optional): Key of the stage that made the labels;
            None: the true masks (full supervision).
        true_mask_dir (str, optional): The masks' folder under the data
            root (default the pipeline's ``data.true_mask_dir``, else the
            layout's).
        init_from (str, optional): Key of a classifier stage whose
            checkpoint the segmentor starts from, when its config sets
            ``init_from_cam_classifier`` and no ``load_from`` (SEC on the
            demo: no ImageNet weights offline).
        options (str): The pipeline's top-level overrides that apply:
            ``'seg_cfg_options'`` (``run_pipeline --seg-cfg-options``) or
            ``'seed_cfg_options'`` (a seed method that trains a segmentor,
            SEC).
        train_dir (str, optional): Its folder's name (default the stage's
            name).
        epochs (float, optional): Train for this many passes over the
            training split, whatever its size: sets an iteration-based
            config's ``train_cfg.max_iters``, and the schedule's ``end`` and
            the validation interval that equalled it, unless the overrides
            set ``train_cfg.max_iters`` themselves.
        cfg_options (dict, optional): Overrides of this stage alone.
    """
    inputs = ('labels', 'init_from')

    def __init__(self,
                 config: str,
                 labels: Optional[str] = None,
                 true_mask_dir: Optional[str] = None,
                 init_from: Optional[str] = None,
                 options: str = 'seg_cfg_options',
                 train_dir: Optional[str] = None,
                 epochs: Optional[float] = None,
                 cfg_options: Optional[dict] = None):
        super().__init__(labels=labels, init_from=init_from)
        self.config = config
        self.true_mask_dir = true_mask_dir
        self.options = options
        self.train_dir_name = train_dir
        self.epochs = epochs
        self.cfg_options = dict(cfg_options or {})

    def check(self, ctx: PipelineContext) -> None:
        resolve_config_path(self.config)

    def train_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.train_dir_name or self.name)

    def build_config(self, ctx: PipelineContext,
                     up: Dict[str, dict]) -> Config:
        options = {'model.decode_head.num_classes': ctx.num_classes + 1}
        # DeepLab-v2 has no auxiliary head.
        if load_config(self.config).model.get('auxiliary_head') is not None:
            options['model.auxiliary_head.num_classes'] = ctx.num_classes + 1
        options.update(ctx.setting(self.options) or {})
        options.update(self.cfg_options)
        cfg = load_config(self.config, options, data_root=ctx.data_root)
        train_set = cfg.train_dataloader.dataset
        split = ctx.split('cam')
        if up.get('labels') is not None:
            cfg.train_dataloader.dataset = pseudo_label_train_set(
                train_set, ctx.data_root, split, up['labels']['label_dir'])
        else:
            cfg.train_dataloader.dataset = true_mask_train_set(
                train_set, ctx.data_root, split, self.true_mask_dir
                or ctx.splits.get('true_mask_dir'))
        if self.epochs is not None and 'train_cfg.max_iters' not in options:
            set_length_in_epochs(cfg, self.epochs,
                                 len(split_ids(ctx.data_root, split)))
        if up.get('init_from') is not None and not cfg.get(
                'load_from') and cfg.get('init_from_cam_classifier'):
            cfg.load_from = up['init_from']['checkpoint']
        return cfg

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            config=config_inputs(self.build_config(ctx, up)),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.train_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        cfg = self.build_config(ctx, up)
        return dict(
            train_for_stage(self, ctx, cfg, self.train_dir(ctx),
                            f'{self.name}_config.py'),
            load_from=cfg.get('load_from'))

    def summarize(self, outputs: dict) -> str:
        return summarize_training(outputs)
