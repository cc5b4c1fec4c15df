"""Convert OpenAI's released CLIP ViT checkpoint (e.g. ``ViT-B-16.pt``, the
file ``clip.load`` downloads) to the keys of mmwsss's CLIP models
(``backbone.*`` image tower, ``text_encoder.*`` text tower).

    python tools/model_converters/clip2mmwsss.py ViT-B-16.pt \\
        checkpoints/clip_vit-b16_openai.pth
"""
import argparse
import os.path as osp

import torch

from mmwsss.models.utils.clip_checkpoint import convert_openai_clip
from mmwsss.utils import run_tool, save_state_dict_file
from mmwsss.utils.errors import InputFileNotFoundError


def load_openai_state_dict(path: str) -> dict:
    """The state dict of OpenAI's release: a TorchScript archive, or a
    plain state dict saved with ``torch.save``."""
    if not osp.isfile(path):
        raise InputFileNotFoundError(f'{path}: no such checkpoint file')
    try:
        return torch.jit.load(path, map_location='cpu').state_dict()
    except RuntimeError:
        state = torch.load(path, map_location='cpu', weights_only=True)
        return state.get('state_dict', state)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help="OpenAI's checkpoint (ViT-B-16.pt)")
    parser.add_argument('dst', help='converted checkpoint to write')
    args = parser.parse_args(argv)
    state = convert_openai_clip(load_openai_state_dict(args.src))
    save_state_dict_file(state, args.dst)
    print(f'{len(state)} tensors written to {args.dst}')


if __name__ == '__main__':
    run_tool(main)
