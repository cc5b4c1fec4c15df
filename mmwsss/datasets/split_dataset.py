"""Datasets of one split, built from a config's test dataset: what CAM
generation, pseudo-label tools and the pipeline read images from."""
import copy
from typing import List, Optional

from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from mmwsss.utils.errors import InputTypeError


def apply_split(ds_cfg: dict, split: str) -> dict:
    """Point a dataset config at ``split``, in place. Each dataset type
    knows where its splits live (VOC: ImageSets files, COCO: instances
    JSONs and folders)."""
    dataset_cls = DATASETS.get(ds_cfg.type)
    if dataset_cls is None or not hasattr(dataset_cls, 'split_settings'):
        raise InputTypeError(
            f'dataset type {ds_cfg.type!r} has no splits; use '
            'WSSSVOCDataset or WSSSCOCODataset')
    for key, value in dataset_cls.split_settings(split).items():
        if isinstance(value, dict) and isinstance(ds_cfg.get(key), dict):
            ds_cfg[key].update(value)
        else:
            ds_cfg[key] = value
    return ds_cfg


def build_split_dataset(cfg: Config,
                        split: str,
                        data_root: Optional[str] = None,
                        pipeline: Optional[List[dict]] = None) -> BaseDataset:
    """Build the config's test dataset on ``split`` with a pipeline that keeps
    images at their original size (CAM files are at original resolution).

    Args:
        cfg (Config): A config with ``test_dataloader.dataset``.
        split (str): Split name: ``ImageSets/Segmentation/<split>.txt`` in
            VOC layout, ``annotations/instances_<split>.json`` in COCO's.
        data_root (str, optional): Overrides the config's data root.
        pipeline (list[dict], optional): Overrides the loading pipeline.
    """
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    if data_root is not None:
        ds_cfg.data_root = data_root
    apply_split(ds_cfg, split)
    ds_cfg.pipeline = pipeline or [
        dict(type='LoadImageFromFile'),
        dict(type='PackWSSSInputs')
    ]
    ds_cfg.pop('indices', None)
    return DATASETS.build(ds_cfg)
