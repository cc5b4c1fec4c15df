"""Convert ViT weights for mmwsss's ToCo.

    # ImageNet ViT-B/16 of timm (ToCo's init) -> the backbone's init_cfg
    python tools/model_converters/toco2mmwsss.py jx_vit_base_p16_224-80ecf9dd.pth \\
        checkpoints/vit-b16_in21k-in1k_timm_mmseg.pth --backbone
    # an official ToCo checkpoint -> a checkpoint for tools/test.py
    python tools/model_converters/toco2mmwsss.py model_iter_20000.pth \\
        checkpoints/toco_vit-b16_voc12_official.pth
"""
import argparse
import os
import os.path as osp

import torch

from mmwsss.models.utils.toco_checkpoint import convert_timm_vit, convert_toco
from mmwsss.utils import run_tool
from mmwsss.utils.errors import InputFileNotFoundError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='timm ViT or official ToCo checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--backbone',
        action='store_true',
        help='src is a timm ViT: write the backbone alone (for init_cfg)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        raise InputFileNotFoundError(f'{args.src}: no such checkpoint file')
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and key in state:
            state = state[key]
    state = convert_timm_vit(state) if args.backbone else convert_toco(state)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    tmp = args.dst + '.tmp'
    torch.save(dict(state_dict=state), tmp)
    os.replace(tmp, args.dst)
    print(f'{len(state)} tensors written to {args.dst}')


if __name__ == '__main__':
    run_tool(main)
