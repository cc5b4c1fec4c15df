from .poly_warmup_lr import PolyWarmupLR

__all__ = ['PolyWarmupLR']
