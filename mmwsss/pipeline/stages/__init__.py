"""The registered pipeline stages, one class per module."""
from .adversarial_erasing import AdversarialErasing
from .affinity_training_labels import AffinityTrainingLabels
from .boundary_evaluation import BoundaryEvaluation
from .cam_folder import CAMFolder
from .crf_labels import CRFLabels
from .erased_cams import ErasedCAMs
from .erased_classifier import ErasedClassifier
from .erasing_summary import ErasingSummary
from .figures import Figures
from .label_evaluation import LabelEvaluation
from .make_cams import MakeCAMs
from .mask_proposals import MaskProposals
from .merge_cams import MergeCAMs
from .merge_labels import MergeLabels
from .mine_regions import MineRegions
from .pipeline_summary import PipelineSummary
from .pretrained_model import PretrainedModel
from .psa_alpha_sweep import PSAAlphaSweep
from .random_walk import RandomWalk
from .refinement_summary import RefinementSummary
from .score_labels import ScoreLabels
from .sec import SEC
from .sec_cues import SECCues
from .sec_labels import SECLabels
from .sec_summary import SECSummary
from .seed_evaluation import SeedEvaluation
from .seed_summary import SeedSummary
from .train_affinity_net import TrainAffinityNet
from .train_classifier import TrainClassifier
from .train_segmentor import TrainSegmentor

__all__ = [
    'AdversarialErasing', 'AffinityTrainingLabels', 'BoundaryEvaluation',
    'CAMFolder', 'CRFLabels', 'ErasedCAMs', 'ErasedClassifier',
    'ErasingSummary', 'Figures', 'LabelEvaluation', 'MakeCAMs',
    'MaskProposals', 'MergeCAMs', 'MergeLabels', 'MineRegions',
    'PipelineSummary', 'PretrainedModel', 'PSAAlphaSweep', 'RandomWalk',
    'RefinementSummary', 'ScoreLabels', 'SEC', 'SECCues', 'SECLabels',
    'SECSummary', 'SeedEvaluation', 'SeedSummary', 'TrainAffinityNet',
    'TrainClassifier', 'TrainSegmentor'
]
