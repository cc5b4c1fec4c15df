"""What the WSSS dataset types share: image-level labels on every sample,
class names with the background first, checks of the inputs when built,
and lookups of a split's files that work without building a dataset."""
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmseg.datasets import BaseSegDataset

from mmwsss.utils import check_image_file, voc_palette
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError
from .image_labels import BACKGROUND, with_background


class WSSSBaseDataset(BaseSegDataset):
    """Base of the datasets with image-level labels for weakly-supervised
    semantic segmentation (not registered: use a subclass).

    Every sample carries ``img_id``, ``img_path``, ``seg_map_path`` (``None``
    where the mask does not exist) and ``img_labels``, a multi-hot float32
    vector over the foreground classes. ``metainfo['classes']`` starts with
    ``'background'``; a subclass gives the default foreground classes.

    Besides the dataset, a subclass describes its layout on disk through
    class methods that need no built dataset (the tools that read a data
    root without a config use them): :meth:`split_ids`,
    :meth:`split_images`, :meth:`image_path`, :meth:`true_mask_dir`,
    :meth:`true_mask_path`, :meth:`class_names` and :meth:`check_layout`.

    Args:
        default_foreground (Sequence[str]): Foreground classes used when
            ``metainfo`` names none (a subclass reads them from the data
            root after :meth:`_check_data_root`).
        check_images (bool): Check every image's header when built.
        metainfo (dict, optional): ``classes`` (background first) and
            ``palette``; default: the default classes and the VOC palette.
        data_root (str, optional): The dataset root; must exist when given.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict()
    #: Folder of the true masks under the data root.
    MASK_DIR = 'SegmentationClass'
    #: Suffix of a true mask after its image id.
    MASK_SUFFIX = '.png'

    def __init__(self,
                 default_foreground: Sequence[str],
                 check_images: bool = True,
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs) -> None:
        self._check_data_root(data_root)
        self.check_images = check_images
        super().__init__(
            metainfo=self._resolve_metainfo(metainfo, default_foreground),
            data_root=data_root,
            **kwargs)

    @staticmethod
    def _check_data_root(data_root: Optional[str]) -> None:
        """Fail before any file under ``data_root`` is read if it is not a
        directory."""
        if data_root is not None and not osp.isdir(data_root):
            raise InputFileNotFoundError(f'data_root is not a directory: '
                                         f'{data_root}')

    @staticmethod
    def _resolve_metainfo(metainfo: Optional[dict],
                          default_foreground: Sequence[str]) -> dict:
        metainfo = dict(metainfo or {})
        if metainfo.get('classes'):
            classes = tuple(metainfo['classes'])
            if classes[0] != BACKGROUND:
                raise InputValueError(
                    f"metainfo['classes'] must start with '{BACKGROUND}', "
                    f'got {classes[:3]}...')
        else:
            classes = with_background(default_foreground)
        metainfo['classes'] = classes
        if not metainfo.get('palette'):
            metainfo['palette'] = voc_palette(len(classes)).tolist()
        return metainfo

    @property
    def foreground_classes(self) -> Tuple[str, ...]:
        """Names of the foreground classes, in label-vector order."""
        return tuple(self.metainfo['classes'][1:])

    def _check_image_files(self, img_paths: Iterable[str]) -> None:
        """Open every image's header (with ``check_images``)."""
        if self.check_images:
            for path in img_paths:
                check_image_file(path)

    @classmethod
    def split_settings(cls, split: str) -> dict:
        """Dataset settings that point a config at ``split`` (see
        :func:`~mmwsss.datasets.apply_split`)."""
        raise NotImplementedError

    # The layout on disk, without building a dataset.

    @classmethod
    def is_layout_of(cls, data_root: str) -> bool:
        """Whether ``data_root`` looks like this dataset type's layout."""
        raise NotImplementedError

    @classmethod
    def check_layout(cls, data_root: str, splits: Sequence[str]) -> None:
        """Fail, naming what is missing, unless ``data_root`` holds the
        images and id lists of ``splits`` in this layout."""
        raise NotImplementedError

    @classmethod
    def split_images(cls, data_root: str, split: str) -> Dict[str, str]:
        """``img_id -> image path`` of a split, in the dataset's order."""
        raise NotImplementedError

    @classmethod
    def split_ids(cls, data_root: str, split: str) -> List[str]:
        """Image ids of a split, in the dataset's order."""
        return list(cls.split_images(data_root, split))

    @classmethod
    def image_path(cls, data_root: str, split: Optional[str],
                   img_id: str) -> str:
        """Path of the image of ``img_id`` (an id of ``split``)."""
        raise NotImplementedError

    @classmethod
    def default_mask_dir(cls, split: Optional[str]) -> str:
        """Folder of a split's true masks, relative to the data root."""
        return cls.MASK_DIR

    @classmethod
    def true_mask_dir(cls,
                      data_root: str,
                      split: Optional[str],
                      mask_dir: Optional[str] = None) -> str:
        """Folder of a split's true masks ``<img_id>.png``.

        Args:
            data_root (str): The dataset root.
            split (str, optional): The split.
            mask_dir (str, optional): Another folder, relative to
                ``data_root`` or absolute. Default:
                :meth:`default_mask_dir`.
        """
        return osp.join(data_root, mask_dir or cls.default_mask_dir(split))

    @classmethod
    def true_mask_path(cls,
                       data_root: str,
                       split: Optional[str],
                       img_id: str,
                       mask_dir: Optional[str] = None) -> str:
        """Path of the true mask of ``img_id`` (it may not exist)."""
        return osp.join(
            cls.true_mask_dir(data_root, split, mask_dir),
            img_id + cls.MASK_SUFFIX)

    @classmethod
    def class_names(cls,
                    data_root: str,
                    split: Optional[str] = None) -> Tuple[str, ...]:
        """All class names of the data root, background first, as the
        dataset's default ``metainfo['classes']``."""
        raise NotImplementedError
