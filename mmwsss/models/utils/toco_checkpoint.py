"""timm ViT and official ToCo weights under mmwsss's keys."""
from collections import OrderedDict
from typing import Dict

from torch import Tensor

from mmwsss.utils.errors import InputKeyError

#: timm's ViT block modules as mmseg's ``TransformerEncoderLayer`` names
#: them.
_BLOCK_PARTS = (
    ('norm1.', 'ln1.'),
    ('norm2.', 'ln2.'),
    ('attn.qkv.weight', 'attn.attn.in_proj_weight'),
    ('attn.qkv.bias', 'attn.attn.in_proj_bias'),
    ('attn.proj.', 'attn.attn.out_proj.'),
    ('mlp.fc1.', 'ffn.layers.0.0.'),
    ('mlp.fc2.', 'ffn.layers.1.'),
)

#: ToCo's modules outside the encoder.
_TOCO_PARTS = (
    ('classifier.', 'classifier.'),
    ('aux_classifier.', 'aux_classifier.'),
    ('decoder.', 'decode_head.'),
    ('proj_head_t.', 'projection_head_teacher.'),
    ('proj_head.', 'projection_head.'),
)


def convert_timm_vit(state_dict: Dict[str, Tensor],
                     prefix: str = '') -> 'OrderedDict[str, Tensor]':
    """Rename a timm ``VisionTransformer`` state dict (ImageNet ViT-B/16
    ``jx_vit_base_p16_224-80ecf9dd.pth``, DeiT's, or ToCo's ``encoder.*``)
    to mmseg ``VisionTransformer``'s keys under ``prefix``. The
    classification head is dropped; a patch embedding stored as a linear
    layer (timm's early jx files) is reshaped to the convolution.

    Raises:
        InputKeyError: A key of no ViT.
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('head.') or key.startswith('pre_logits.'):
            continue
        if key in ('cls_token', 'pos_embed'):
            new = key
        elif key.startswith('patch_embed.proj.'):
            new = 'patch_embed.projection.' + key[len('patch_embed.proj.'):]
            if new.endswith('weight') and value.dim() == 2:
                size = int(round((value.shape[1] / 3)**0.5))
                value = value.reshape(value.shape[0], 3, size, size)
        elif key.startswith('norm.'):
            new = 'ln1.' + key[len('norm.'):]
        elif key.startswith('blocks.'):
            _, index, rest = key.split('.', 2)
            for old, part in _BLOCK_PARTS:
                if rest.startswith(old):
                    new = f'layers.{index}.{part}{rest[len(old):]}'
                    break
            else:
                raise InputKeyError(f'{key}: not a key of a timm ViT block')
        else:
            raise InputKeyError(
                f'{key}: not a key of a timm ViT (is this a ViT checkpoint?)')
        out[prefix + new] = value
    return out


def convert_toco(state_dict: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename an official ToCo checkpoint (``model_iter_20000.pth``, a
    ``network`` of ``model/model_seg_neg.py``, with or without DDP's
    ``module.``) to :class:`~mmwsss.models.segmentors.ToCo`'s keys.

    Raises:
        InputKeyError: A key that belongs to no ToCo module.
    """
    encoder = OrderedDict()
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('module.'):
            key = key[len('module.'):]
        if key.startswith('encoder.'):
            encoder[key[len('encoder.'):]] = value
            continue
        for old, new in _TOCO_PARTS:
            if key.startswith(old):
                out[new + key[len(old):]] = value
                break
        else:
            raise InputKeyError(f'{key}: not a key of a ToCo network')
    out.update(convert_timm_vit(encoder, prefix='backbone.'))
    return out
