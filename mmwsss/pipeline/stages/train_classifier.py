"""Stage: train a stage-1 CAM classifier."""
from typing import Dict, List, Optional

from mmengine.config import Config

from mmwsss.apis import load_config, resolve_config_path
from ..base import BaseStage, PipelineContext
from ..record import config_inputs
from ..registry import STAGES
from ..training import train_for_stage


def ordinary_classifier_of(cfg: Config) -> dict:
    """Backbone and head of a CAM classifier's config, as OC-CSE's frozen
    ordinary classifier (without the backbone's ``init_cfg``: its weights
    come from the checkpoint)."""
    backbone = dict(cfg.model.backbone)
    backbone.pop('init_cfg', None)
    return dict(backbone=backbone, cam_head=dict(cfg.model.cam_head))


def summarize_training(outputs: dict) -> str:
    """The console's result of a training stage: its test metrics."""
    metrics = outputs.get('metrics') or {}
    names = {'multi-label/mAP': 'mAP', 'mIoU': 'mIoU'}
    return ', '.join(f'{short} {metrics[key]:.2f}'
                     for key, short in names.items() if key in metrics)


@STAGES.register_module()
class TrainClassifier(BaseStage):
    """Train a stage-1 classifier (CAM, ReCAM, ADL, OC-CSE, ...) with
    mmengine's Runner in ``<folder>/classifier`` and test it on the
    config's test split; an interrupted training resumes from its last
    checkpoint.

    Its class count is the data root's; the pipeline's ``seed_cfg_options``
    (``run_pipeline --cfg-options``) and then the stage's ``cfg_options``
    override the config.

    Args:
        config (str): The stage-1 config.
        load_from (str, optional): Key of the classifier stage whose
            checkpoint this one fine-tunes (ReCAM on CAM).
        ordinary (str, optional): Key of the classifier stage that OC-CSE
            freezes as its ordinary classifier.
        cfg_options (dict, optional): Overrides of this stage alone.
    """
    inputs = ('load_from', 'ordinary')

    def __init__(self,
                 config: str,
                 load_from: Optional[str] = None,
                 ordinary: Optional[str] = None,
                 cfg_options: Optional[dict] = None):
        super().__init__(load_from=load_from, ordinary=ordinary)
        self.config = config
        self.cfg_options = dict(cfg_options or {})

    def check(self, ctx: PipelineContext) -> None:
        resolve_config_path(self.config)

    def options(self, ctx: PipelineContext) -> dict:
        """The overrides of the config, without the upstream checkpoints."""
        # A CAM classifier counts the foreground classes; a single-stage
        # segmentor (ToCo) its segmentation head's, background included.
        model = load_config(self.config).model
        options = ({
            'model.decode_head.num_classes': ctx.num_classes + 1
        } if 'cam_head' not in model and 'decode_head' in model else {
            'model.cam_head.num_classes': ctx.num_classes
        })
        options.update(ctx.setting('seed_cfg_options') or {})
        options.update(self.cfg_options)
        return options

    def build_config(self, ctx: PipelineContext,
                     up: Optional[Dict[str, dict]] = None) -> Config:
        """The config this stage trains (``up``: its inputs' outputs;
        default those of its run)."""
        up = self.up if up is None else up
        options = self.options(ctx)
        if up.get('load_from') is not None:
            options['load_from'] = up['load_from']['checkpoint']
        if up.get('ordinary') is not None:
            ordinary = self.upstream['ordinary']
            options['model.ordinary_checkpoint'] = up['ordinary'][
                'checkpoint']
            options['model.ordinary_classifier'] = ordinary_classifier_of(
                ordinary.build_config(ctx))
        return load_config(self.config, options, data_root=ctx.data_root)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            config=config_inputs(self.build_config(ctx, up)),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.out_path(ctx, 'classifier')]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        outputs = train_for_stage(self, ctx, self.build_config(ctx, up),
                                  self.out_path(ctx, 'classifier'))
        return dict(outputs, config=self.config)

    def summarize(self, outputs: dict) -> str:
        return summarize_training(outputs)
