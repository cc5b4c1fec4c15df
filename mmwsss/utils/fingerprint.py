"""Fingerprints of the settings a result was computed under, and what
changed between two of them.

A result (a pipeline stage, a folder of CAM files or pseudo labels) is
described by a nested dict of everything it depends on. The dict is
flattened to dotted keys (``config.train_cfg.max_epochs``), so that a
change can be named, and hashed to a short fingerprint. Paths inside a
work dir are written relative to it first, so a moved work dir keeps its
fingerprints."""
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

# Digests of files already read in this process, by (path, size, mtime).
_FILE_DIGESTS: Dict[Tuple[str, int, int], str] = {}


def path_inside(value: Any, folder: str) -> bool:
    """Whether ``value`` is an absolute path of ``folder`` or of something
    inside it."""
    if not (isinstance(value, str) and osp.isabs(value)):
        return False
    return (osp.normpath(value) + os.sep).startswith(
        osp.abspath(folder) + os.sep)


def portable(value: Any, root: Optional[str]) -> Any:
    """``value`` with every absolute path under ``root`` written as
    ``{work_dir}/<path relative to root>``, recursively through dicts,
    lists and tuples."""
    if root is None:
        return value
    root = osp.abspath(root)
    if isinstance(value, dict):
        return {k: portable(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v, root) for v in value]
    if path_inside(value, root):
        return '{work_dir}/' + osp.relpath(value, root)
    return value


def _plain(value: Any) -> Any:
    """A JSON value for ``value``: tuples as lists, other objects by
    ``repr`` (a type in a config, say)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def flatten_settings(settings: Dict[str, Any],
                     prefix: str = '') -> Dict[str, Any]:
    """Nested dicts as one dict of dotted keys; lists stay values.

    Example:
        >>> flatten_settings(dict(crf=dict(iterations=10), split='train'))
        {'crf.iterations': 10, 'split': 'train'}
    """
    flat = {}
    for key, value in settings.items():
        name = f'{prefix}{key}'
        if isinstance(value, dict) and value:
            flat.update(flatten_settings(value, name + '.'))
        else:
            flat[name] = _plain(value)
    return flat


def fingerprint(settings: Dict[str, Any]) -> str:
    """A 16-hex-digit digest of ``settings`` (any nesting; key order does
    not matter)."""
    text = json.dumps(
        flatten_settings(settings), sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def changed_settings(old: Dict[str, Any],
                     new: Dict[str, Any]) -> List[Tuple[str, Any, Any]]:
    """``(key, old value, new value)`` of every flattened setting that
    differs (``None`` where a side lacks the key), sorted by key."""
    old, new = flatten_settings(old), flatten_settings(new)
    missing = object()
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, missing), new.get(key, missing)
        if before != after:
            changes.append((key, None if before is missing else before,
                            None if after is missing else after))
    return changes


def describe_changes(changes: List[Tuple[str, Any, Any]],
                     limit: int = 4) -> str:
    """``key: old → new`` of the first ``limit`` changes, and how many
    more there are."""

    def short(value):
        text = json.dumps(value)
        return text if len(text) <= 60 else text[:57] + '...'

    parts = [f'{key}: {short(old)} -> {short(new)}'
             for key, old, new in changes[:limit]]
    if len(changes) > limit:
        parts.append(f'and {len(changes) - limit} more')
    return '; '.join(parts)


def file_digest(path: str) -> str:
    """The SHA-256 of a file's content (16 hex digits), so that a copied
    or moved checkpoint keeps its identity; cached per process."""
    stat = os.stat(path)
    key = (osp.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_DIGESTS:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        _FILE_DIGESTS[key] = digest.hexdigest()[:16]
    return _FILE_DIGESTS[key]
