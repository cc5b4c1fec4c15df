"""PNG grids of what a WSSS run produces: per-class CAM heat maps, pseudo
labels beside the truth, and segmentation predictions beside the truth.
Heat maps come from mmengine's ``Visualizer.draw_featmap`` and label
overlays from mmseg's ``SegLocalVisualizer``."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.structures import PixelData
from mmengine.visualization import Visualizer
from mmseg.visualization import SegLocalVisualizer
from torch import nn

from mmwsss.cams import load_cam_file, strided_cams
from mmwsss.datasets import dataset_type_of
from mmwsss.pseudo_labels.random_walk import (feature_affinities,
                                              irn_label_scores,
                                              psa_label_scores)
from mmwsss.pseudo_labels.random_walk_labels import steps_on_grid, walk_grid
from mmwsss.utils import atomic_write, load_label_png, read_rgb, voc_palette
from mmwsss.utils.errors import InputKeyError, InputValueError

CAPTION_HEIGHT = 20

#: A captioned tile of a grid.
Tile = Tuple[str, np.ndarray]


def cam_overlays(image: np.ndarray,
                 cam: dict,
                 class_names: Sequence[str],
                 alpha: float = 0.5) -> List[Tile]:
    """One heat-map overlay per class of a CAM dict.

    Returns:
        list[tuple]: ``(class name, RGB image)`` per key.
    """
    tiles = []
    for key, class_map in zip(cam['keys'], cam['high_res']):
        overlay = Visualizer.draw_featmap(
            torch.from_numpy(class_map[None].astype(np.float32)),
            image,
            channel_reduction='squeeze_mean',
            alpha=alpha)
        tiles.append((class_names[key], overlay))
    return tiles


class LabelPainter:
    """Draws label maps of class indices (255 ignored) over images with
    mmseg's ``SegLocalVisualizer``, class names written on the regions.

    Args:
        classes (Sequence[str]): All class names, background first.
    """

    def __init__(self, classes: Sequence[str]) -> None:
        self.classes = tuple(classes)
        self.palette = voc_palette(len(self.classes)).tolist()
        self.visualizer = SegLocalVisualizer(
            name=f'mmwsss_label_painter_{id(self)}', alpha=0.6)

    def __call__(self, image: np.ndarray, label: np.ndarray) -> np.ndarray:
        label = np.asarray(label)
        if label.shape != image.shape[:2]:
            raise InputValueError(
                f'a label of shape {label.shape} cannot be drawn '
                f'over an image of shape {image.shape[:2]}')
        return self.visualizer._draw_sem_seg(
            image.copy(), PixelData(data=torch.from_numpy(label[None])),
            self.classes, self.palette, True)


def _fit(image, tile):
    """Scale ``image`` to fit a ``tile`` square and pad it with white."""
    h, w = image.shape[:2]
    scale = tile / max(h, w)
    resized = mmcv.imresize(image, (max(1, round(w * scale)),
                                    max(1, round(h * scale))))
    canvas = np.full((tile, tile, 3), 255, dtype=np.uint8)
    canvas[:resized.shape[0], :resized.shape[1]] = resized
    return canvas


def compose_grid(rows: Sequence[Sequence[Tile]],
                 tile: int = 192) -> np.ndarray:
    """A grid image of captioned tiles.

    Args:
        rows (list[list[tuple]]): Rows of ``(caption, RGB image)``; short
            rows are padded with blank tiles.
        tile (int): Side of each tile in pixels.

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8 RGB grid.
    """
    if not rows:
        raise InputValueError('nothing to draw: no rows')
    columns = max(len(row) for row in rows)
    cell_h = tile + CAPTION_HEIGHT
    grid = np.full((cell_h * len(rows), tile * columns, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, (caption, image) in enumerate(row):
            top, left = r * cell_h, c * tile
            grid[top + CAPTION_HEIGHT:top + cell_h,
                 left:left + tile] = _fit(image, tile)
            cv2.putText(grid, caption[:tile // 8], (left + 3, top + 14),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1,
                        cv2.LINE_AA)
    return grid


def save_grid(grid: np.ndarray, out_file: str) -> str:
    """Write an RGB grid as a PNG, atomically."""
    ok, encoded = cv2.imencode('.png', mmcv.rgb2bgr(grid))
    if not ok:
        raise InputValueError(f'{out_file}: the grid could not be encoded')
    with atomic_write(out_file, suffix='.png') as tmp_path:
        with open(tmp_path, 'wb') as f:
            f.write(encoded.tobytes())
    return out_file


def _truth_row(image: np.ndarray, truth: str,
               painter: 'LabelPainter') -> List[Tile]:
    """The true mask over the image, where the mask exists."""
    if osp.isfile(truth):
        return [('truth', painter(image, load_label_png(truth)))]
    return []


def render_cam_grid(data_root: str,
                    cam_dir: str,
                    img_ids: Sequence[str],
                    out_file: str,
                    tile: int = 192,
                    split: Optional[str] = None) -> str:
    """One row per image: the image, then the heat map of each of its
    classes, captioned with the class and the map's peak.

    Images and class names come from ``data_root`` in its layout (see
    :func:`~mmwsss.datasets.dataset_type_of`); a COCO-layout root needs the
    ``split`` of the ids.
    """
    dataset_type = dataset_type_of(data_root)
    classes = dataset_type.class_names(data_root, split)
    rows = []
    for img_id in img_ids:
        image = read_rgb(dataset_type.image_path(data_root, split, img_id))
        cam = load_cam_file(
            osp.join(cam_dir, img_id + '.npy'),
            num_classes=len(classes) - 1,
            shape=image.shape[:2])
        rows.append([(img_id, image)] +
                    cam_overlays(image, cam, classes[1:]))
    return save_grid(compose_grid(rows, tile), out_file)


def render_label_grid(data_root: str,
                      label_dir: str,
                      img_ids: Sequence[str],
                      out_file: str,
                      truth_dir: Optional[str] = None,
                      title: str = 'pseudo label',
                      tile: int = 192,
                      split: Optional[str] = None) -> str:
    """One row per image: the image, the true mask over it (where the mask
    exists) and the labels of ``label_dir`` over it: the columns of
    :func:`render_prediction_grid`.

    ``truth_dir`` is under ``data_root`` or absolute; default: the
    layout's (``SegmentationClass``; COCO: ``SegmentationClass/<split>``).
    A COCO-layout root needs the ``split`` of the ids.
    """
    dataset_type = dataset_type_of(data_root)
    painter = LabelPainter(dataset_type.class_names(data_root, split))
    rows = []
    for img_id in img_ids:
        image = read_rgb(dataset_type.image_path(data_root, split, img_id))
        label = load_label_png(osp.join(label_dir, img_id + '.png'))
        row = [(img_id, image)]
        row += _truth_row(
            image,
            dataset_type.true_mask_path(data_root, split, img_id, truth_dir),
            painter)
        row.append((title, painter(image, label)))
        rows.append(row)
    return save_grid(compose_grid(rows, tile), out_file)


def predict_labels(model: nn.Module, dataset: BaseDataset,
                   img_ids: Sequence[str]) -> Dict[str, np.ndarray]:
    """Predicted label maps of ``img_ids`` by an mmseg segmentor.

    Returns:
        dict: ``img_id -> [H, W]`` uint8 at the image's original size.
    """
    index = {
        dataset.get_data_info(i)['img_id']: i
        for i in range(len(dataset))
    }
    missing = [i for i in img_ids if i not in index]
    if missing:
        raise InputKeyError(f'ids not in the split: {missing}')
    model.eval()
    labels = {}
    with torch.no_grad():
        for img_id in img_ids:
            sample = model.test_step(pseudo_collate([dataset[index[img_id]]
                                                     ]))[0]
            labels[img_id] = sample.pred_sem_seg.data[0].cpu().numpy().astype(
                np.uint8)
    return labels


def render_prediction_grid(model: nn.Module,
                           dataset: BaseDataset,
                           data_root: str,
                           img_ids: Sequence[str],
                           out_file: str,
                           truth_dir: Optional[str] = None,
                           tile: int = 192,
                           split: Optional[str] = None) -> str:
    """One row per image of ``dataset``: the image, the true mask (where it
    exists) and the prediction of ``model`` (a built segmentor in eval
    mode, e.g. from :func:`mmwsss.apis.init_model`).

    Images, masks and class names come from ``data_root`` as in
    :func:`render_label_grid`.
    """
    predictions = predict_labels(model, dataset, img_ids)
    dataset_type = dataset_type_of(data_root)
    painter = LabelPainter(dataset_type.class_names(data_root, split))
    rows = []
    for img_id in img_ids:
        image = read_rgb(dataset_type.image_path(data_root, split, img_id))
        row = [(img_id, image)]
        row += _truth_row(
            image,
            dataset_type.true_mask_path(data_root, split, img_id, truth_dir),
            painter)
        row.append(('prediction', painter(image, predictions[img_id])))
        rows.append(row)
    return save_grid(compose_grid(rows, tile), out_file)


def _heat(image, values):
    """A ``[h, w]`` map in [0, 1] drawn as a heat map over ``image``."""
    values = torch.as_tensor(values, dtype=torch.float32)[None, None]
    values = torch.nn.functional.interpolate(
        values, size=image.shape[:2], mode='bilinear', align_corners=False)
    return Visualizer.draw_featmap(
        values[0], image, channel_reduction='squeeze_mean', alpha=0.5)


def render_refinement_grid(model: nn.Module,
                           dataset: BaseDataset,
                           cam_dir: str,
                           label_dirs: Dict[str, str],
                           img_ids: Sequence[str],
                           out_file: str,
                           settings: dict,
                           tile: int = 192) -> str:
    """How the random walk turned seeds into labels, one row per image:
    the image, the affinity network's boundary map (IRN; for AffinityNet
    one minus the mean affinity to the neighbours), the CAMs (max over
    classes), the propagated scores (max over classes), then the labels of
    each of ``label_dirs`` and the truth.

    Args:
        model (nn.Module): Trained IRN boundary network or AffinityNet.
        dataset (BaseDataset): Dataset packing original-size images.
        cam_dir (str): CAM files.
        label_dirs (dict): Caption -> folder of label PNGs.
        img_ids (Sequence[str]): Images to draw.
        out_file (str): PNG to write.
        settings (dict): Random-walk settings (see
            :data:`~mmwsss.pseudo_labels.RANDOM_WALK_DEFAULTS`).
    """
    classes = dataset.metainfo['classes']
    painter = LabelPainter(classes)
    index = {
        dataset.get_data_info(i)['img_id']: i
        for i in range(len(dataset))
    }
    device = next(model.parameters()).device
    rows = []
    for img_id in img_ids:
        data = model.data_preprocessor(pseudo_collate([dataset[index[img_id]]
                                                       ]), False)
        inputs = data['inputs']
        image = read_rgb(dataset.get_data_info(index[img_id])['img_path'])
        cam = load_cam_file(osp.join(cam_dir, img_id + '.npy'))
        with torch.no_grad():
            if hasattr(model, 'predict_boundary'):
                edges = model.predict_boundary(inputs)[0]
                scores = irn_label_scores(
                    torch.from_numpy(strided_cams(cam)).to(device), edges,
                    image.shape[:2], settings['beta'],
                    settings['exp_times'], settings['radius'],
                    steps=steps_on_grid(settings, 'irn',
                                        walk_grid(image.shape[:2], 'irn')))
                edge_caption = 'boundary'
            else:
                features = model.predict_features(inputs)[0]
                edges = 1 - feature_affinities(
                    features, settings['radius'], psa_window=False).mean(0)
                scores = psa_label_scores(
                    torch.from_numpy(cam['high_res']).to(device), features,
                    settings['alpha'], settings['beta'], settings['logt'],
                    settings['radius'],
                    steps=steps_on_grid(settings, 'psa',
                                        walk_grid(image.shape[:2],
                                                  'psa')))[1:]
                edge_caption = '1 - mean affinity'
        peak = (cam['high_res'].max(axis=0) if len(cam['keys']) else
                np.zeros(image.shape[:2]))
        walked = (scores.max(dim=0).values / scores.max().clamp(min=1e-5)
                  if len(scores) else torch.zeros(image.shape[:2]))
        row = [(img_id, image), (edge_caption, _heat(image, edges.cpu())),
               ('CAM', _heat(image, peak)),
               ('random walk', _heat(image, walked.cpu()))]
        for caption, label_dir in label_dirs.items():
            row.append((caption,
                        painter(image,
                                load_label_png(
                                    osp.join(label_dir, img_id + '.png')))))
        truth = dataset.get_data_info(index[img_id]).get('seg_map_path')
        if truth:
            row += _truth_row(image, truth, painter)
        rows.append(row)
    return save_grid(compose_grid(rows, tile), out_file)
