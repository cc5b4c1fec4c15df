from mmseg.models.decode_heads import EncHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class ImageLabelEncHead(EncHead):
    """EncHead whose semantic-encoding (SE) loss targets come from the
    image-level labels.

    mmseg's EncHead derives the SE targets (which classes an image holds)
    from the segmentation map. On pseudo labels that map is noisy, but the
    image-level labels are exact, so the foreground targets are taken from
    ``gt_img_labels`` when a sample has them; background (class 0) and any
    sample without image-level labels fall back to the map.

    From "Context Encoding for Semantic Segmentation" (Zhang et al., CVPR
    2018); the image-level targets follow weakly-supervised practice.

    Args:
        **kwargs: See :class:`mmseg.models.decode_heads.EncHead`;
            ``num_classes`` counts background.
    """

    def se_targets(self, seg_label, batch_data_samples):
        """``[N, num_classes]`` SE targets."""
        targets = self._convert_to_onehot_labels(seg_label, self.num_classes)
        for i, sample in enumerate(batch_data_samples):
            if 'gt_img_labels' not in sample:
                continue
            labels = sample.gt_img_labels
            if labels.numel() != self.num_classes - 1:
                raise ValueError(
                    f'image-level labels have {labels.numel()} foreground '
                    f'classes but the head has num_classes='
                    f'{self.num_classes} (with background)')
            targets[i, 1:] = (labels > 0).to(targets)
        return targets

    def loss_by_feat(self, seg_logit, batch_data_samples, **kwargs):
        seg_logit, se_seg_logit = seg_logit
        losses = BaseDecodeHead.loss_by_feat(self, seg_logit,
                                             batch_data_samples)
        seg_label = self._stack_batch_gt(batch_data_samples)
        targets = self.se_targets(seg_label.squeeze(1), batch_data_samples)
        losses['loss_se'] = self.loss_se_decode(se_seg_logit,
                                                targets.to(se_seg_logit))
        return losses
