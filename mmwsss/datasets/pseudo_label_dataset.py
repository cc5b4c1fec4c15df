import os.path as osp
from typing import List

from mmseg.registry import DATASETS

from mmwsss.utils import image_size
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError
from .wsss_voc import WSSSVOCDataset


@DATASETS.register_module()
class PseudoLabelDataset(WSSSVOCDataset):
    """Images of a VOC-layout split with pseudo labels as ``gt_sem_seg``
    (and their image-level labels), so that any mmseg segmentor trains on
    them with a stock config.

    Every id must have ``<pseudo_label_dir>/<id>.png`` of its image's size;
    this is checked over the whole list when the dataset is built, so a
    missing or mis-sized label fails before training starts, naming the
    file.

    Args:
        pseudo_label_dir (str): Folder of pseudo-label PNGs (relative paths
            are joined to ``data_root``).
        img_dir (str): Image folder. Default: ``'JPEGImages'``.
        xml_dir (str): Annotation folder for image-level labels.
        check_sizes (bool): Compare every label's size with its image's.
        **kwargs: See :class:`WSSSVOCDataset`.
    """

    def __init__(self,
                 pseudo_label_dir: str,
                 img_dir: str = 'JPEGImages',
                 xml_dir: str = 'Annotations',
                 check_sizes: bool = True,
                 **kwargs) -> None:
        if 'data_prefix' in kwargs:
            raise InputValueError('PseudoLabelDataset takes pseudo_label_dir, '
                                  'img_dir and xml_dir instead of data_prefix')
        self.check_sizes = check_sizes
        super().__init__(
            data_prefix=dict(
                img_path=img_dir,
                seg_map_path=pseudo_label_dir,
                xml_path=xml_dir),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        label_dir = self.data_prefix['seg_map_path']
        missing = [
            osp.join(label_dir, info['img_id'] + self.seg_map_suffix)
            for info in data_list if info['seg_map_path'] is None
        ]
        if missing:
            raise InputFileNotFoundError(
                f'{label_dir}: {len(missing)} of {len(data_list)} pseudo '
                f'labels are missing, e.g. {missing[0]}; run '
                'make_pseudo_labels on this split')
        if self.check_sizes:
            for info in data_list:
                self._check_size(info)
        return data_list

    def _check_size(self, info):
        label_size = image_size(info['seg_map_path'], 'pseudo label')
        img_size = image_size(info['img_path'])
        if label_size != img_size:
            raise InputValueError(
                f"{info['seg_map_path']}: pseudo label is {label_size[0]}x"
                f'{label_size[1]} but its image {info["img_path"]} is '
                f'{img_size[0]}x{img_size[1]}')
