"""The registry of class-agnostic mask sources."""
from mmengine.registry import Registry

#: ``dict(type='SuperpixelMasks', ...)`` or ``dict(type='SAMMasks', ...)``.
MASK_SOURCES = Registry(
    'mask source',
    scope='mmwsss',
    locations=['mmwsss.pseudo_labels.mask_sources'])
