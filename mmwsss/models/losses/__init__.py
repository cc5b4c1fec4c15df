from .balanced_seg_loss import balanced_seg_loss
from .class_token_contrast_loss import class_token_contrast_loss
from .dense_energy_loss import DenseEnergyLoss
from .patch_token_contrast_loss import patch_token_contrast_loss

__all__ = [
    'DenseEnergyLoss', 'balanced_seg_loss', 'class_token_contrast_loss',
    'patch_token_contrast_loss'
]
