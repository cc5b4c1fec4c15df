"""The version of mmwsss."""
__version__ = '0.1.0'
