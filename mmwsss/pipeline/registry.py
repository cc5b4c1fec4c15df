"""The registry of pipeline stages, in mmwsss's scope."""
from mmengine.registry import Registry

#: Pipeline stages by class name; a pipeline config names them by ``type``.
STAGES = Registry(
    'pipeline stage', scope='mmwsss', locations=['mmwsss.pipeline.stages'])
