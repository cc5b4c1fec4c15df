from .affinity_net import AffinityNet
from .cam_classifier import CAMClassifier
from .clip_es import CLIPES
from .cse_classifier import CSEClassifier
from .irn import IRNBoundaryNet
from .msc_encoder_decoder import MSCEncoderDecoder
from .seam_classifier import SEAMClassifier
from .sec_segmentor import SECSegmentor
from .toco import ToCo
from .weclip import WeCLIP

__all__ = [
    'AffinityNet', 'CAMClassifier', 'CLIPES', 'CSEClassifier',
    'IRNBoundaryNet', 'MSCEncoderDecoder', 'SEAMClassifier', 'SECSegmentor',
    'ToCo', 'WeCLIP'
]
