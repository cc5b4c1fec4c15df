"""Stage: the labels of a trained SEC network."""
from typing import Dict, List, Optional

from mmwsss.apis import make_sec_labels
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class SECLabels(BaseStage):
    """SEC's predictions of a split as palette PNGs at the image size, with
    its test-time CRF (``<folder>/<name>``). Where ``same_as`` labels the
    same split already, its labels are used and nothing is recorded.

    Args:
        trained (str): Key of the :class:`TrainSegmentor` that trained
            the SEC network.
        split (str): The split or its role.
        same_as (str, optional): Key of another :class:`SECLabels` of the
            same network.
    """
    inputs = ('trained', 'same_as')

    def __init__(self, trained: str, split: str = 'seed',
                 same_as: Optional[str] = None):
        super().__init__(trained=trained, same_as=same_as)
        self.split = split

    def check(self, ctx: PipelineContext) -> None:
        other = self.upstream.get('same_as')
        if other is not None and ctx.split(other.split) == ctx.split(
                self.split):
            self.recorded = False

    def label_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(split=ctx.split(self.split), data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.label_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        if not self.recorded:
            return up['same_as']
        written = make_sec_labels(
            up['trained']['config'],
            up['trained']['checkpoint'],
            self.label_dir(ctx),
            split=ctx.split(self.split),
            data_root=ctx.data_root,
            device=ctx.device,
            overwrite=True)
        return dict(label_dir=self.label_dir(ctx), written=written)
