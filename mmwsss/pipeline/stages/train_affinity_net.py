"""Stage: train an affinity network (IRN, AffinityNet)."""
from typing import Dict, List, Optional

from mmengine.config import Config

from mmwsss.apis import resolve_config_path
from mmwsss.apis.data_roots import pseudo_label_train_set
from ..base import BaseStage, PipelineContext
from ..record import config_inputs
from ..refinement import check_walk, network_config
from ..registry import STAGES
from ..training import train_for_stage


@STAGES.register_module()
class TrainAffinityNet(BaseStage):
    """Train IRN's boundary network or PSA's AffinityNet on its training
    labels, in ``<folder>/<walk>`` (its config dumped there as
    ``<walk>_config.py``).

    Args:
        labels (str): Key of its :class:`AffinityTrainingLabels`.
        walk (str): ``'irn'`` or ``'psa'``.
        config (str): The network's config.
        init_from (str, optional): Key of a classifier stage whose
            checkpoint the network starts from (the demo: no ImageNet
            weights offline); default the config's ``init_cfg``.
    """
    inputs = ('labels', 'init_from')

    def __init__(self, labels: str, walk: str, config: str,
                 init_from: Optional[str] = None):
        super().__init__(labels=labels, init_from=init_from)
        check_walk(walk, type(self).__name__)
        self.walk = walk
        self.config = config

    def check(self, ctx: PipelineContext) -> None:
        resolve_config_path(self.config)

    def train_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.walk)

    def build_config(self, ctx: PipelineContext,
                     up: Dict[str, dict]) -> Config:
        cfg = network_config(ctx, self.config)
        # Training labels hold class indices: the loss checks them.
        for head in cfg.model.values():
            if isinstance(head, dict) and 'num_classes' in head:
                head['num_classes'] = ctx.num_classes + 1
        cfg.train_dataloader.dataset = pseudo_label_train_set(
            cfg.train_dataloader.dataset, ctx.data_root, ctx.split('cam'),
            up['labels']['label_dir'])
        if up.get('init_from') is not None:
            cfg.load_from = up['init_from']['checkpoint']
        return cfg

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            config=config_inputs(self.build_config(ctx, up)),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.train_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        outputs = train_for_stage(
            self, ctx, self.build_config(ctx, up), self.train_dir(ctx),
            f'{self.walk}_config.py', test=False)
        outputs.pop('metrics')
        return outputs
