from .panels import (LabelPainter, cam_overlays, compose_grid, predict_labels,
                     render_cam_grid, render_label_grid,
                     render_prediction_grid, render_refinement_grid, save_grid)

__all__ = [
    'LabelPainter', 'cam_overlays', 'compose_grid',
    'predict_labels',
    'render_cam_grid', 'render_label_grid', 'render_prediction_grid',
    'render_refinement_grid',
    'save_grid'
]
