from typing import Tuple

from mmseg.models.decode_heads import EncHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from mmwsss.utils.errors import InputValueError


@MODELS.register_module()
class ImageLabelEncHead(EncHead):
    """EncHead whose semantic-encoding (SE) loss targets come from the
    image-level labels.

    mmseg's EncHead derives the SE targets (which classes an image holds)
    from the segmentation map. On pseudo labels that map is noisy: it can
    name classes the image does not hold. The image-level labels are exact
    for the whole image, but training sees a random crop, and a labelled
    class the crop cut away must not be a target (the SE loss would then
    ask the network to find a class that is not in its input). So a
    foreground class is a target only if the image-level labels name it
    and the (cropped) pseudo label still holds some of its pixels (255 is
    ignored); background (class 0), and every class of a sample without
    image-level labels, come from the map.

    From "Context Encoding for Semantic Segmentation" (Zhang et al., CVPR
    2018); the image-level targets follow weakly-supervised practice.

    Args:
        **kwargs: See :class:`mmseg.models.decode_heads.EncHead`;
            ``num_classes`` counts background.
    """

    def se_targets(self, seg_label: Tensor,
                   batch_data_samples: SampleList) -> Tensor:
        """``[N, num_classes]`` SE targets: a class is a target if the
        (cropped) map holds it and, for a foreground class of a sample with
        ``gt_img_labels``, the image-level labels name it."""
        targets = self._convert_to_onehot_labels(seg_label, self.num_classes)
        for i, sample in enumerate(batch_data_samples):
            if 'gt_img_labels' not in sample:
                continue
            labels = sample.gt_img_labels
            if labels.numel() != self.num_classes - 1:
                raise InputValueError(
                    f'image-level labels have {labels.numel()} foreground '
                    f'classes but the head has num_classes='
                    f'{self.num_classes} (with background)')
            targets[i, 1:] *= (labels > 0).to(targets)
        return targets

    def loss_by_feat(self, seg_logit: Tuple[Tensor, Tensor],
                     batch_data_samples: SampleList, **kwargs) -> dict:
        seg_logit, se_seg_logit = seg_logit
        losses = BaseDecodeHead.loss_by_feat(self, seg_logit,
                                             batch_data_samples)
        seg_label = self._stack_batch_gt(batch_data_samples)
        targets = self.se_targets(seg_label.squeeze(1), batch_data_samples)
        losses['loss_se'] = self.loss_se_decode(se_seg_logit,
                                                targets.to(se_seg_logit))
        return losses
