"""Official WeCLIP checkpoints under the keys of mmwsss's :class:`WeCLIP`."""
import re
from collections import OrderedDict
from typing import Dict

from torch import Tensor

from mmwsss.utils.errors import InputKeyError
from .clip_checkpoint import convert_openai_clip

#: Official decoder keys (after ``decoder_fts_fuse.`` / ``decoder.``) and
#: their :class:`WeCLIPHead` names.
DECODER_KEYS = (
    (r'decoder_fts_fuse\.linears_modulelist\.(\d+)\.proj\.(weight|bias)',
     r'fusion_mlps.\1.0.\2'),
    (r'decoder_fts_fuse\.linears_modulelist\.(\d+)\.proj_2\.(weight|bias)',
     r'fusion_mlps.\1.2.\2'),
    (r'decoder_fts_fuse\.linear_fuse\.(weight|bias)', r'fuse_conv.\1'),
    (r'decoder\.transformer\.resblocks\.(\d+)\.(.+)', r'layers.\1.\2'),
    (r'decoder\.linear_pred\.(weight|bias)', r'conv_seg.\1'),
)
#: Entries of the official state dict that are not weights of the model:
#: PAR's fixed kernel, and the position embedding that the official
#: ``VisionTransformer.forward`` stores as a parameter at the size of the
#: last input it saw.
SKIPPED = ('par.kernel', 'encoder.visual.positional_embedding_new')


def convert_weclip(state_dict: Dict[str, Tensor],
                   with_clip: bool = True,
                   head_prefix: str = 'decode_head.'
                   ) -> 'OrderedDict[str, Tensor]':
    """Rename an official WeCLIP state dict (``WeCLIP_model_iter_*.pth``,
    ``torch.save(model.state_dict())``) to :class:`WeCLIP`'s keys.

    The decoder's weights go under ``head_prefix``; with ``with_clip`` the
    frozen CLIP (``encoder.*``, OpenAI's keys) is renamed by
    :func:`convert_openai_clip` too, else dropped (load it from the OpenAI
    checkpoint through ``init_cfg``). Every tensor becomes float32 (the
    official keeps CLIP in fp16).

    Raises:
        InputKeyError: A key of no WeCLIP checkpoint, naming it.
    """
    decoder, clip = OrderedDict(), OrderedDict()
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if key in SKIPPED:
            continue
        if key.startswith('encoder.'):
            clip[key[len('encoder.'):]] = value.float()
            continue
        for pattern, replacement in DECODER_KEYS:
            if re.fullmatch(pattern, key):
                decoder[head_prefix +
                        re.sub(pattern, replacement, key)] = value.float()
                break
        else:
            raise InputKeyError(
                f'{key!r} is not a key of an official WeCLIP checkpoint')
    if not decoder:
        raise InputKeyError(
            'no decoder weights (decoder_fts_fuse.*, decoder.*): not an '
            'official WeCLIP checkpoint')
    if with_clip:
        decoder.update(convert_openai_clip(clip))
    return decoder
