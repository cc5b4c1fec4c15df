"""A record of the settings that made a folder of results (CAM files,
pseudo labels, random-walk scores), kept in ``<folder>/manifest.json``.

A writer calls :func:`prepare_output_dir` before its first file: a folder
made under the same settings resumes (files that exist are kept), one made
under other settings is refused with the changed settings named, or, when
asked, started over. A folder never mixes files of two settings.
Evaluations written into a folder (:func:`save_evaluation`) carry the
folder's fingerprint, so a reader can tell a stale one."""
import json
import os
import os.path as osp
import shutil
from typing import Any, Dict, Optional

from mmengine.dist import barrier

from .errors import SettingsChangedError
from .fingerprint import (changed_settings, describe_changes, fingerprint,
                          flatten_settings, path_inside)
from .io import save_json

#: File name of a folder's settings record.
MANIFEST_NAME = 'manifest.json'


def read_manifest(folder: str) -> Optional[dict]:
    """The folder's manifest (``fingerprint``, ``what``, ``settings``), or
    None."""
    path = osp.join(folder, MANIFEST_NAME)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def folder_fingerprint(folder: str) -> Optional[str]:
    """The fingerprint of the settings that made ``folder``, or None when
    it has no manifest (files made by other tools)."""
    manifest = read_manifest(folder)
    return None if manifest is None else manifest['fingerprint']


def clear_folder(folder: str) -> None:
    """Remove everything inside ``folder`` (the folder itself stays)."""
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def _holds_results(folder: str) -> bool:
    """Anything but an interrupted write's temporary files."""
    return any(not (name.startswith('.') and name.endswith('.tmp'))
               for name in os.listdir(folder))


def prepare_output_dir(folder: str,
                       settings: Dict[str, Any],
                       what: str,
                       overwrite: bool = False,
                       write: bool = True) -> str:
    """Make ``folder`` ready for results computed under ``settings``.

    A new or empty folder gets a manifest; one whose manifest records the
    same settings is kept as it is (its files are resumed); one made
    under other settings, or holding files without a manifest, is started
    over when ``overwrite`` is true and refused otherwise.

    Args:
        folder (str): The output folder.
        settings (dict): Everything the folder's files depend on (nested;
            see :func:`~mmwsss.utils.fingerprint.flatten_settings`).
        what (str): What the files are, for messages (``'CAM files'``).
        overwrite (bool): Start a folder of other settings over.
        write (bool): Write the manifest; ``False`` only checks (the ranks
            of a sharded job other than the first).

    Returns:
        str: The settings' fingerprint.

    Raises:
        SettingsChangedError: naming each changed setting, with its old and
            new value.
    """
    flat = flatten_settings(settings)
    digest = fingerprint(flat)
    os.makedirs(folder, exist_ok=True)
    manifest = read_manifest(folder)
    if manifest is not None and manifest['fingerprint'] == digest:
        return digest
    if manifest is not None or _holds_results(folder):
        if not overwrite:
            if manifest is None:
                reason = ('holds files but no record of the settings that '
                          f'made them ({MANIFEST_NAME})')
            else:
                reason = (f"holds {manifest.get('what', what)} made under "
                          'other settings (there -> now): ' +
                          describe_changes(
                              changed_settings(manifest['settings'], flat)))
            raise SettingsChangedError(
                f'{folder} {reason}; write to another folder, or start '
                'this one over (--overwrite)')
        if write:
            clear_folder(folder)
    if write:
        save_json(dict(fingerprint=digest, what=what, settings=flat),
                  osp.join(folder, MANIFEST_NAME))
    return digest


def prepare_shared_output_dir(folder: str,
                              settings: Dict[str, Any],
                              what: str,
                              overwrite: bool = False,
                              rank: int = 0,
                              world_size: int = 1) -> str:
    """:func:`prepare_output_dir` for a folder that the ranks of a sharded
    job write together: the first rank checks it (and may start it over),
    the others then check what it recorded."""
    if rank == 0:
        digest = prepare_output_dir(folder, settings, what, overwrite)
    if world_size > 1:
        barrier()
    if rank != 0:
        digest = prepare_output_dir(folder, settings, what, write=False)
    return digest


def save_evaluation(result: Dict[str, Any], path: str) -> None:
    """Write an evaluation JSON into the folder it describes, with that
    folder's fingerprint as ``folder_fingerprint``; paths inside the
    folder are written relative to it (the folder itself as ``.``), so
    that it can be moved."""
    folder = osp.dirname(osp.abspath(path))
    result = {
        key: osp.relpath(value, folder)
        if path_inside(value, folder) else value
        for key, value in result.items()
    }
    result['folder_fingerprint'] = folder_fingerprint(folder)
    save_json(result, path)


def evaluation_is_current(path: str) -> bool:
    """Whether the evaluation at ``path`` describes its folder's current
    files: it names the folder's fingerprint (or neither records one)."""
    with open(path) as f:
        recorded = json.load(f).get('folder_fingerprint')
    return recorded == folder_fingerprint(osp.dirname(osp.abspath(path)))
