import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.cams import save_cam_file
from mmwsss.utils import save_palette_png
from mmwsss.visualization import (LabelPainter, compose_grid, render_cam_grid,
                                  render_label_grid)
from conftest import run_tool


def test_compose_grid_layout():
    red = np.zeros((10, 20, 3), np.uint8)
    red[..., 0] = 255
    grid = compose_grid([[('a', red), ('b', red)], [('c', red)]], tile=40)
    assert grid.shape == (2 * (40 + 20), 2 * 40, 3)
    # The wide image fills the tile's width, half its height; then white.
    np.testing.assert_array_equal(grid[20, 0], [255, 0, 0])
    np.testing.assert_array_equal(grid[20 + 30, 0], [255, 255, 255])
    # The short second row is padded with a blank tile.
    assert (grid[60 + 20:, 40:] == 255).all()
    with pytest.raises(ValueError, match='no rows'):
        compose_grid([])


def test_label_painter_colours_classes_not_ignore():
    image = np.full((32, 32, 3), 128, np.uint8)
    label = np.zeros((32, 32), np.uint8)
    label[:16] = 1
    label[24:] = 255
    painted = LabelPainter(('background', 'cat'))(image, label)
    assert painted.shape == image.shape
    # VOC colour of class 1 is (128, 0, 0): red goes up, green goes down.
    assert painted[4, 28, 0] > painted[4, 28, 1]
    # Ignored pixels get no colour (mmseg dims them uniformly).
    assert len(set(painted[30, 30].tolist())) == 1
    with pytest.raises(ValueError, match='cannot be drawn'):
        LabelPainter(('background', 'cat'))(image, label[:8])


def test_cam_and_label_grids_and_tool(tiny_data, tmp_path):
    ids = ['val_00024', 'val_00025']
    cam_dir, label_dir = tmp_path / 'cams', tmp_path / 'labels'
    for img_id in ids:
        cam = np.zeros((2, 128, 128), np.float32)
        cam[0, 10:40, 10:40] = 1.0
        cam[1, 60:, 60:] = 0.5
        save_cam_file(str(cam_dir / f'{img_id}.npy'), [0, 2], cam)
        label = np.zeros((128, 128), np.uint8)
        label[10:40, 10:40] = 1
        save_palette_png(label, str(label_dir / f'{img_id}.png'))

    out = render_cam_grid(tiny_data, str(cam_dir), ids,
                          str(tmp_path / 'cams.png'), tile=64)
    grid = np.array(Image.open(out))
    assert grid.shape == (2 * 84, 3 * 64, 3)
    heat = grid[20:84, 64:128].astype(int)
    # Hot (red) inside the activated square, cold (blue) outside it.
    assert heat[12, 12, 0] > heat[12, 12, 2]
    assert heat[50, 50, 2] > heat[50, 50, 0]

    stdout = run_tool('visualize.py', 'labels', '--data-root', tiny_data,
                      '--label-dir', label_dir, '--split', 'val', '--ids',
                      *ids, '--tile', 64, '--out', tmp_path / 'labels.png')
    assert 'written to' in stdout
    grid = np.array(Image.open(tmp_path / 'labels.png'))
    assert grid.shape == (2 * 84, 3 * 64, 3)  # image, label, truth
    assert osp.isfile(render_label_grid(tiny_data, str(label_dir), ids[:1],
                                        str(tmp_path / 'one.png')))
