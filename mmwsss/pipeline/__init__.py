"""WSSS pipelines as configs of registered stages, and the runner that
orders, resumes and reruns them (see ``configs/pipelines`` and
``configs/_base_/pipelines``)."""
from . import stages  # noqa: F401
from .base import BaseStage, EvaluationStage, PipelineContext
from .compare import compare_methods, format_comparison
from .configs import (PRESETS, REFINE_CHOICES, build_pipeline_config,
                      method_names, pipeline_config_path, seed_config)
from .record import (ON_CHANGE_CHOICES, StageRecord, add_on_change_argument,
                     interrupted_stages, run_stage, set_on_change,
                     set_verbose)
from .registry import STAGES
from .runner import PipelineRunner, run_pipeline
from .stages.crf_labels import BG_RULES
from .summary import SUMMARY_SCHEMA, check_summary, format_summary

__all__ = [
    'BG_RULES', 'BaseStage', 'EvaluationStage', 'ON_CHANGE_CHOICES',
    'PRESETS', 'PipelineContext', 'PipelineRunner', 'REFINE_CHOICES',
    'STAGES', 'SUMMARY_SCHEMA', 'StageRecord', 'add_on_change_argument',
    'build_pipeline_config', 'check_summary', 'compare_methods',
    'format_comparison', 'format_summary', 'interrupted_stages',
    'method_names', 'pipeline_config_path', 'run_pipeline', 'run_stage',
    'seed_config', 'set_on_change', 'set_verbose'
]
