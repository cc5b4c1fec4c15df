"""OpenAI CLIP weights under the keys of mmwsss's CLIP models."""
from collections import OrderedDict
from typing import Dict

from torch import Tensor

from mmwsss.utils.errors import InputKeyError

#: Entries of OpenAI's JIT archives that are settings, not weights
#: (``clip.model.build_model`` drops them too).
NON_WEIGHT_KEYS = ('input_resolution', 'context_length', 'vocab_size')


def _block_key(rest: str, text: bool) -> str:
    """An OpenAI residual block's ``ln_1 / attn / ln_2 / mlp`` key as
    mmseg's ViT layer (image) or mmcv's ``BaseTransformerLayer`` (text)
    names it."""
    part, _, tail = rest.partition('.')
    if part == 'attn':
        return ('attentions.0.attn.' if text else 'attn.attn.') + tail
    if part in ('ln_1', 'ln_2'):
        index = int(part[-1])
        return (f'norms.{index - 1}.' if text else f'ln{index}.') + tail
    if part == 'mlp':
        fc, _, param = tail.partition('.')
        layer = {'c_fc': 'layers.0.0', 'c_proj': 'layers.1'}[fc]
        return ('ffns.0.' if text else 'ffn.') + f'{layer}.{param}'
    raise KeyError(rest)


def convert_openai_clip(state_dict: Dict[str, Tensor],
                        image_prefix: str = 'backbone.',
                        text_prefix: str = 'text_encoder.'
                        ) -> 'OrderedDict[str, Tensor]':
    """Rename OpenAI CLIP's state dict (``clip.load(...).state_dict()`` or
    the released ``ViT-B-16.pt``) to :class:`CLIPVisionTransformer`'s keys
    under ``image_prefix`` and mmseg ``CLIPTextEncoder``'s under
    ``text_prefix``. Tensors are unchanged except the class token and the
    position embedding, which mmseg's ViT keeps with a batch axis.

    Raises:
        InputKeyError: A key that belongs to no CLIP ViT (a ResNet CLIP,
            or not a CLIP checkpoint at all).
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if key in NON_WEIGHT_KEYS:
            continue
        try:
            if key.startswith('visual.'):
                name = key[len('visual.'):]
                if name == 'class_embedding':
                    new, value = 'cls_token', value.reshape(1, 1, -1)
                elif name == 'positional_embedding':
                    new, value = 'pos_embed', value[None]
                elif name == 'conv1.weight':
                    new = 'patch_embed.projection.weight'
                elif name == 'proj':
                    new = 'proj'
                elif name.startswith(('ln_pre.', 'ln_post.')):
                    new = name.replace('ln_post.', 'ln1.')
                elif name.startswith('transformer.resblocks.'):
                    index, _, rest = name[len('transformer.resblocks.'):
                                          ].partition('.')
                    new = f'layers.{int(index)}.' + _block_key(rest, False)
                else:
                    raise KeyError(key)
                out[image_prefix + new] = value
            else:
                if key.startswith('transformer.resblocks.'):
                    index, _, rest = key[len('transformer.resblocks.'):
                                         ].partition('.')
                    new = f'transformer.{int(index)}.' + _block_key(
                        rest, True)
                elif key.split('.')[0] in ('token_embedding',
                                           'positional_embedding',
                                           'text_projection', 'logit_scale',
                                           'ln_final'):
                    new = key
                else:
                    raise KeyError(key)
                out[text_prefix + new] = value
        except (KeyError, ValueError):
            raise InputKeyError(
                f'{key!r} is not a key of an OpenAI CLIP ViT checkpoint '
                '(ResNet CLIPs are not supported)') from None
    return out
