"""Work spread over worker processes that cannot hang the caller.

The workers come from a fork server (a clean process with no threads),
not forked from the caller: a caller that trained or inferred with torch
holds OpenMP, data-loader and writer threads, and a child forked from it
can inherit a lock one of them held and wait on it forever. The pool is
terminated as soon as a task raises, so the error reaches the caller and
the process exits."""
import multiprocessing
from typing import Callable, List, Sequence

from .progress import ProgressBar, track_progress


def parallel_map(func: Callable,
                 tasks: Sequence,
                 num_workers: int,
                 progress: bool = True,
                 preload: Sequence[str] = ()) -> List:
    """``[func(t) for t in tasks]`` on ``num_workers`` processes, in the
    order the results arrive.

    Args:
        func (Callable): A picklable function (module level, or a
            ``functools.partial`` of one).
        tasks (Sequence): Its arguments.
        num_workers (int): Worker processes.
        progress (bool): Show a progress bar.
        preload (Sequence[str]): Modules the fork server imports once, so
            that each worker starts with them loaded (``func``'s own).

    Returns:
        list: The results.
    """
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload(list(preload))
    bar = ProgressBar(len(tasks)) if progress else None
    results = []
    pool = context.Pool(num_workers)
    try:
        chunksize = max(1, len(tasks) // (8 * num_workers))
        for result in pool.imap_unordered(func, list(tasks), chunksize):
            results.append(result)
            if bar is not None:
                bar.update()
    finally:
        # Done, or an error (or Ctrl-C): the remaining tasks are dropped.
        pool.terminate()
        pool.join()
    if bar is not None:
        print()
    return results


def map_tasks(func: Callable,
              tasks: Sequence,
              num_workers: int,
              progress: bool = True,
              preload: Sequence[str] = ()) -> List:
    """``[func(t) for t in tasks]``: on ``num_workers`` fork-server
    processes (see :func:`parallel_map`) when there are more than one,
    else in this process, with a progress bar when ``progress``."""
    if num_workers > 1:
        return parallel_map(func, tasks, num_workers, progress, preload)
    if progress:
        return track_progress(func, tasks)
    return [func(task) for task in tasks]
