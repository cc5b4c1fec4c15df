"""CLIP's image tower as an mmseg :class:`VisionTransformer`."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .any_grid_vision_transformer import AnyGridVisionTransformer

# mmseg registers QuickGELU with its CLIP text encoder; importing it here
# makes ``act_cfg=dict(type='QuickGELU')`` buildable on its own.
from mmseg.models.text_encoder import clip_text_encoder  # noqa: F401


@MODELS.register_module()
class CLIPVisionTransformer(AnyGridVisionTransformer):
    """The image encoder of CLIP (Radford et al., ICML 2021) on mmseg's
    :class:`~mmseg.models.backbones.VisionTransformer`.

    mmseg's ViT already has CLIP's layout: a bias-free patch embedding, a
    class token, ``ln_pre`` (``pre_norm=True``), pre-norm blocks with
    QuickGELU, and ``ln_post`` as the final norm (``final_norm=True``,
    module ``ln1``). What CLIP adds is the projection of the class token
    into the joint image-text space (``proj``), and what CLIP-ES needs are
    the tokens before a block and the attention maps of the last blocks.
    Position embeddings are interpolated to any patch grid
    (:class:`AnyGridVisionTransformer`; ``interpolate_mode``: bicubic by
    default; CLIP-ES's config sets bilinear, as its ``upsample_pos_emb``
    does).

    The keys match :func:`mmwsss.models.utils.convert_openai_clip`'s output
    for OpenAI's ``visual.*`` weights.

    Args:
        output_dims (int): Width of the joint embedding (512 for ViT-B/16).
        **kwargs: :class:`~mmseg.models.backbones.VisionTransformer`'s
            arguments; the defaults here are CLIP ViT-B/16's.
    """

    def __init__(self,
                 output_dims: int = 512,
                 img_size: int = 224,
                 patch_size: int = 16,
                 embed_dims: int = 768,
                 num_layers: int = 12,
                 num_heads: int = 12,
                 out_indices: int = -1,
                 **kwargs) -> None:
        defaults = dict(
            patch_pad=0,
            patch_bias=False,
            qkv_bias=True,
            with_cls_token=True,
            pre_norm=True,
            final_norm=True,
            norm_cfg=dict(type='LN', eps=1e-5),
            act_cfg=dict(type='QuickGELU'),
            interpolate_mode='bicubic')
        defaults.update(kwargs)
        super().__init__(
            img_size=img_size,
            patch_size=patch_size,
            embed_dims=embed_dims,
            num_layers=num_layers,
            num_heads=num_heads,
            out_indices=out_indices,
            **defaults)
        self.proj = nn.Parameter(torch.empty(embed_dims, output_dims))
        nn.init.normal_(self.proj, std=embed_dims**-0.5)

    def embed(self, images: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        """Tokens ``[B, 1 + h * w, C]`` entering the first block (class
        token first, position embeddings interpolated, ``ln_pre``
        applied) and the patch grid ``(h, w)``."""
        x, hw_shape = self.patch_embed(images)
        cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = self._pos_embeding(x, hw_shape, self.pos_embed)
        return self.pre_ln(x), hw_shape

    @staticmethod
    def block_with_attention(layer: nn.Module,
                             x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """One block's output, its attention map ``[B, L, L]`` (the
        softmax weights averaged over heads, ``nn.MultiheadAttention``'s
        ``need_weights``, as CLIP-ES's modified CLIP returns them) and its
        input norm's output (CLIP-ES's Grad-CAM target)."""
        mha = layer.attn
        query = layer.norm1(x)
        # mmcv's MultiheadAttention wraps a sequence-first torch module.
        seq = query.transpose(0, 1) if mha.batch_first else query
        out, weights = mha.attn(
            seq, seq, seq, need_weights=True, average_attn_weights=True)
        if mha.batch_first:
            out = out.transpose(0, 1)
        x = x + mha.dropout_layer(mha.proj_drop(out))
        x = layer.ffn(layer.norm2(x), identity=x)
        return x, weights, query

    def forward_blocks(self,
                       x: Tensor,
                       start: int = 0,
                       end: Optional[int] = None,
                       attention_from: Optional[int] = None
                       ) -> Tuple[Tensor, List[Tensor]]:
        """Run blocks ``start`` to ``end`` (exclusive) on tokens ``x``.

        Args:
            x (Tensor): Tokens ``[B, L, C]``.
            start (int): First block.
            end (int, optional): One past the last block; default all.
            attention_from (int, optional): Return the attention maps of
                the blocks from this index on; default none.

        Returns:
            tuple: The tokens after block ``end - 1`` (before ``ln_post``)
            and the list of attention maps ``[B, L, L]`` asked for.
        """
        end = len(self.layers) if end is None else end
        maps = []
        for index in range(start, end):
            layer = self.layers[index]
            if attention_from is not None and index >= attention_from:
                x, weights, _ = self.block_with_attention(layer, x)
                maps.append(weights)
            else:
                x = layer(x)
        return x, maps

    def project(self, tokens: Tensor) -> Tensor:
        """``ln_post`` and the projection of every token ``[B, L, C]`` into
        the joint space ``[B, L, output_dims]`` (the class token's is
        CLIP's image feature)."""
        return self.norm1(tokens) @ self.proj

    def encode_image(self, images: Tensor) -> Tensor:
        """CLIP's image features ``[B, output_dims]`` (not normalised), as
        ``clip.model.CLIP.encode_image``."""
        x, _ = self.embed(images)
        x, _ = self.forward_blocks(x)
        return self.project(x[:, :1])[:, 0]
