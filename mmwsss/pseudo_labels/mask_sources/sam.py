"""SAM's automatic masks through Meta's ``segment-anything`` package."""
import os.path as osp
from typing import Optional

import numpy as np
import torch

from mmwsss.utils import file_digest
from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError)
from .registry import MASK_SOURCES

#: Image-encoder width of each SAM model (``image_encoder.pos_embed``'s
#: last axis) and the released checkpoint of each.
SAM_MODELS = dict(
    vit_h=(1280, 'sam_vit_h_4b8939.pth'),
    vit_l=(1024, 'sam_vit_l_0b3195.pth'),
    vit_b=(768, 'sam_vit_b_01ec64.pth'))


@MASK_SOURCES.register_module()
class SAMMasks:
    """Class-agnostic masks of the Segment Anything Model (Kirillov et al.,
    ICCV 2023) from ``segment_anything.SamAutomaticMaskGenerator``.

    SAM_WSSS's masks are the files of segment-anything's ``scripts/amg.py``
    with its defaults, which are the generator's defaults (32 points per
    side, predicted IoU 0.88, stability 0.95, no crops); ``generator``
    overrides them. The checkpoint is Meta's released file as it is (no
    conversion), read weights-only; nothing is downloaded.

    Args:
        checkpoint (str): The SAM checkpoint of ``model_type``.
        model_type (str): ``'vit_h'`` (SAM_WSSS's, the defaults' tuning),
            ``'vit_l'`` or ``'vit_b'``.
        generator (dict, optional): ``SamAutomaticMaskGenerator``
            arguments.
        device (str, optional): Default: ``'cuda'`` when available.
    """

    def __init__(self,
                 checkpoint: str,
                 model_type: str = 'vit_h',
                 generator: Optional[dict] = None,
                 device: Optional[str] = None) -> None:
        if model_type not in SAM_MODELS:
            raise InputKeyError(f'SAMMasks: model_type must be one of '
                                f'{list(SAM_MODELS)}, got {model_type!r}')
        self.checkpoint = checkpoint
        self.model_type = model_type
        self.generator_cfg = dict(generator or {})
        self.device = device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        self._generator = None
        self._state = self._read_checkpoint()

    def _read_checkpoint(self) -> dict:
        width, release = SAM_MODELS[self.model_type]
        if not osp.isfile(self.checkpoint):
            raise InputFileNotFoundError(
                f'{self.checkpoint}: no SAM checkpoint; download Meta\'s '
                f'{release} ({self.model_type}) from the segment-anything '
                'release and give its path (it is read as it is)')
        state = torch.load(self.checkpoint, map_location='cpu',
                           weights_only=True)
        state = state.get('state_dict', state) if isinstance(state,
                                                             dict) else {}
        pos_embed = state.get('image_encoder.pos_embed')
        if pos_embed is None:
            raise InputValueError(
                f'{self.checkpoint}: not a SAM checkpoint (no '
                'image_encoder.pos_embed)')
        if pos_embed.shape[-1] != width:
            found = [name for name, (w, _) in SAM_MODELS.items()
                     if w == pos_embed.shape[-1]]
            raise InputValueError(
                f'{self.checkpoint}: a SAM image encoder of width '
                f'{pos_embed.shape[-1]} ({found[0] if found else "unknown"})'
                f', but model_type {self.model_type!r} expects {width} '
                f'({release})')
        return state

    def settings(self) -> dict:
        """What the masks depend on, for the cache's manifest."""
        return dict(type=type(self).__name__, model_type=self.model_type,
                    checkpoint=file_digest(self.checkpoint),
                    generator=self.generator_cfg)

    def _build(self):
        from segment_anything import (SamAutomaticMaskGenerator,
                                      sam_model_registry)
        sam = sam_model_registry[self.model_type](checkpoint=None)
        sam.load_state_dict(self._state)
        self._state = None
        sam.to(self.device).eval()
        return SamAutomaticMaskGenerator(sam, **self.generator_cfg)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Masks ``[M, H, W]`` bool of an ``[H, W, 3]`` uint8 RGB image."""
        if self._generator is None:
            self._generator = self._build()
        with torch.no_grad():
            records = self._generator.generate(image)
        if not records:
            return np.zeros((0, *image.shape[:2]), dtype=bool)
        return np.stack([r['segmentation'] for r in records]).astype(bool)
