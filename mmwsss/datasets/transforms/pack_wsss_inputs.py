from typing import Sequence

import numpy as np
import torch
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

from mmwsss.utils.errors import InputKeyError


@TRANSFORMS.register_module()
class PackWSSSInputs(PackSegInputs):
    """Pack inputs like :class:`mmseg.datasets.transforms.PackSegInputs` and
    add the image-level labels as the data field ``gt_img_labels`` (float
    multi-hot tensor over the foreground classes).

    Image-level labels do not change under resize, crop or flip, so they are
    read from ``results['img_labels']`` untouched by the pipeline.

    Args:
        meta_keys (Sequence[str]): Meta keys to collect; ``img_id`` is added
            to mmseg's defaults so outputs can be named after the image.
        view_keys (Sequence[str]): Extra images of the sample (``[H, W, 3]``
            uint8, e.g. ToCo's ``global_view`` and ``local_view``), packed
            as ``[3, H, W]`` uint8 data fields of the same names.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_id', 'img_path', 'seg_map_path',
                                    'ori_shape', 'img_shape', 'pad_shape',
                                    'scale_factor', 'flip', 'flip_direction',
                                    'reduce_zero_label'),
        view_keys: Sequence[str] = ()
    ) -> None:
        super().__init__(meta_keys=meta_keys)
        self.view_keys = tuple(view_keys)

    def transform(self, results: dict) -> dict:
        if 'img_labels' not in results:
            raise InputKeyError(
                f"{results.get('img_path', 'sample')}: no 'img_labels' in "
                'the results; use a dataset that reads image-level labels, '
                'such as WSSSVOCDataset')
        packed = super().transform(results)
        packed['data_samples'].set_data(
            dict(gt_img_labels=torch.as_tensor(
                results['img_labels'], dtype=torch.float32)))
        for key in self.view_keys:
            if key not in results:
                raise InputKeyError(
                    f"{results.get('img_path', 'sample')}: no {key!r} in the "
                    'results; add the transform that makes it before '
                    'PackWSSSInputs')
            view = np.ascontiguousarray(results[key].transpose(2, 0, 1))
            packed['data_samples'].set_data({key: torch.from_numpy(view)})
        return packed
