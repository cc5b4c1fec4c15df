"""Convert an official WeCLIP checkpoint (``WeCLIP_model_iter_30000.pth``,
zbf1991/WeCLIP) to the keys of mmwsss's ``WeCLIP``: the decoder, and the
frozen CLIP unless ``--no-clip`` (then the model's ``init_cfg`` loads CLIP
from the OpenAI checkpoint converted by ``clip2mmwsss.py``).

    python tools/model_converters/weclip2mmwsss.py \\
        WeCLIP_model_iter_30000.pth checkpoints/weclip_vit-b16_voc12.pth
"""
import argparse
import os
import os.path as osp

import torch

from mmwsss.models.utils.weclip_checkpoint import convert_weclip
from mmwsss.utils import run_tool
from mmwsss.utils.errors import InputFileNotFoundError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='official WeCLIP checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--no-clip',
        action='store_true',
        help='write the decoder only, without the frozen CLIP')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        raise InputFileNotFoundError(f'{args.src}: no such checkpoint file')
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    state = convert_weclip(
        state.get('state_dict', state), with_clip=not args.no_clip)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    tmp = args.dst + '.tmp'
    torch.save(dict(state_dict=state), tmp)
    os.replace(tmp, args.dst)
    print(f'{len(state)} tensors written to {args.dst}')


if __name__ == '__main__':
    run_tool(main)
