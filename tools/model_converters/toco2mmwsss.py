"""Convert ViT weights for mmwsss's ToCo.

    # ImageNet ViT-B/16 of timm (ToCo's init) -> the backbone's init_cfg
    python tools/model_converters/toco2mmwsss.py jx_vit_base_p16_224-80ecf9dd.pth \\
        checkpoints/vit-b16_in21k-in1k_timm_mmseg.pth --backbone
    # an official ToCo checkpoint -> a checkpoint for tools/test.py
    python tools/model_converters/toco2mmwsss.py model_iter_20000.pth \\
        checkpoints/toco_vit-b16_voc12_official.pth
"""
import argparse

from mmwsss.models.utils.toco_checkpoint import convert_timm_vit, convert_toco
from mmwsss.utils import load_state_dict_file, run_tool, save_state_dict_file


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='timm ViT or official ToCo checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--backbone',
        action='store_true',
        help='src is a timm ViT: write the backbone alone (for init_cfg)')
    args = parser.parse_args(argv)
    state = load_state_dict_file(args.src)
    state = convert_timm_vit(state) if args.backbone else convert_toco(state)
    save_state_dict_file(state, args.dst)
    print(f'{len(state)} tensors written to {args.dst}')


if __name__ == '__main__':
    run_tool(main)
