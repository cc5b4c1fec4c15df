"""Stage: class-agnostic mask proposals of a split, cached per image."""
from typing import Dict, List, Optional

from mmwsss.pseudo_labels.mask_proposals import (build_mask_source,
                                                 generate_mask_proposals)
from mmwsss.utils.errors import InputKeyError
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


def merge_split(ctx: PipelineContext, refine: Optional[str]) -> str:
    """The split a merge covers: the CAM split when the segmentor trains
    on its labels (``refine`` is the pipeline's), else the seed split, to
    compare with the other labels."""
    trained = ctx.setting('refine')
    if refine is None:
        trained_on_merge = str(trained).endswith('+merge')
    else:
        trained_on_merge = trained == refine
    return ctx.split('cam' if trained_on_merge else 'seed')


@STAGES.register_module()
class MaskProposals(BaseStage):
    """The mask proposals of every image (``<folder>/<name>/<id>.npz``, see
    :func:`~mmwsss.pseudo_labels.mask_proposals.generate_mask_proposals`):
    SAM's automatic masks or superpixels. They are the expensive part of a
    merge, so every merge of the work dir reads one cache, which resumes
    where it stopped.

    Args:
        source (dict, optional): A ``MASK_SOURCES`` config; default the
            pipeline's top-level ``mask_source`` (the preset's: superpixels
            on the demo, SAM ViT-H on VOC and COCO).
    """
    inputs = ()

    def __init__(self, source: Optional[dict] = None):
        super().__init__()
        self.source = None if source is None else dict(source)
        self._built = None

    def source_cfg(self, ctx: PipelineContext) -> dict:
        source = self.source or ctx.setting('mask_source')
        if not source:
            raise InputKeyError(
                f'{ctx.cfg.filename}: stage {self.key!r} needs a mask '
                'source: set mask_source (e.g. dict(type=\'SAMMasks\', '
                'checkpoint=...) or dict(type=\'SuperpixelMasks\'))')
        return dict(source)

    def built_source(self, ctx: PipelineContext):
        """The mask source, built once: SAM's reads its checkpoint (and
        its digest for the fingerprint) when it is built."""
        if self._built is None:
            self._built = build_mask_source(self.source_cfg(ctx))
        return self._built

    def check(self, ctx: PipelineContext) -> None:
        # A missing or wrong SAM checkpoint fails before any stage runs.
        self.built_source(ctx)

    def mask_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            source=self.built_source(ctx).settings(),
            split=merge_split(ctx, None),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.mask_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        written = generate_mask_proposals(
            ctx.data_root,
            merge_split(ctx, None),
            self.mask_dir(ctx),
            self.built_source(ctx),
            overwrite=True)
        return dict(mask_dir=self.mask_dir(ctx), written=written)
