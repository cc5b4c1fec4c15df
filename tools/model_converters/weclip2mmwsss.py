"""Convert an official WeCLIP checkpoint (``WeCLIP_model_iter_30000.pth``,
zbf1991/WeCLIP) to the keys of mmwsss's ``WeCLIP``: the decoder, and the
frozen CLIP unless ``--no-clip`` (then the model's ``init_cfg`` loads CLIP
from the OpenAI checkpoint converted by ``clip2mmwsss.py``).

    python tools/model_converters/weclip2mmwsss.py \\
        WeCLIP_model_iter_30000.pth checkpoints/weclip_vit-b16_voc12.pth
"""
import argparse

from mmwsss.models.utils.weclip_checkpoint import convert_weclip
from mmwsss.utils import load_state_dict_file, run_tool, save_state_dict_file


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='official WeCLIP checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--no-clip',
        action='store_true',
        help='write the decoder only, without the frozen CLIP')
    args = parser.parse_args(argv)
    state = convert_weclip(
        load_state_dict_file(args.src), with_clip=not args.no_clip)
    save_state_dict_file(state, args.dst)
    print(f'{len(state)} tensors written to {args.dst}')


if __name__ == '__main__':
    run_tool(main)
