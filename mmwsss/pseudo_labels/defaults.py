"""The one place of each pseudo-label default: the library's functions,
the tools and the pipeline stages all read these."""

#: Built-in defaults of each setting (IRN's and PSA's values).
PSEUDO_LABEL_DEFAULTS = dict(
    bg_mode='constant',
    bg_threshold=0.15,
    alpha=16.0,
    fg_threshold=0.30,
    low_threshold=0.05,
    low_alpha=4.0,
    high_alpha=32.0,
    min_confidence=0.95)
