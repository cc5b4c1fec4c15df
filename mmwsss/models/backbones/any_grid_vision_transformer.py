"""mmseg's ViT with position embeddings resized to every patch grid."""
from typing import Sequence

from mmseg.models.backbones import VisionTransformer
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class AnyGridVisionTransformer(VisionTransformer):
    """mmseg's :class:`~mmseg.models.backbones.VisionTransformer` (Dosovitskiy
    et al., "An Image is Worth 16x16 Words", ICLR 2021) whose position
    embeddings are resized to every patch grid other than the one they
    were trained on.

    mmseg resizes them only when the number of tokens differs, so a 7x28
    grid of a 14x14 model (a 112x448 image at patch 16) silently gets the
    14x14 embeddings flattened row by row. timm's ViT as ToCo uses it
    (``prepare_tokens``), and CLIP as CLIP-ES and WeCLIP use it
    (``upsample_pos_emb``), resize on the grid's shape.

    Args:
        **kwargs: :class:`~mmseg.models.backbones.VisionTransformer`'s.
    """

    def _pos_embeding(self, patched_img: Tensor, hw_shape: Sequence[int],
                      pos_embed: Tensor) -> Tensor:
        grid = (self.img_size[0] // self.patch_size,
                self.img_size[1] // self.patch_size)
        if tuple(hw_shape) != grid:
            if pos_embed.shape[1] != grid[0] * grid[1] + 1:
                raise ValueError(
                    f'position embeddings of {pos_embed.shape[1]} tokens '
                    f'for a {grid[0]}x{grid[1]} grid plus the class token')
            pos_embed = self.resize_pos_embed(pos_embed, hw_shape, grid,
                                              self.interpolate_mode)
        return self.drop_after_pos(patched_img + pos_embed)
