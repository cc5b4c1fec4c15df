"""mmwsss's packages import only downward:

    utils, checkpoint → datasets, models, engine → cams → pseudo_labels →
    evaluation → visualization, testing → apis → pipeline

Every ``import`` of an ``mmwsss`` module anywhere in a file (inside
functions too) is an edge of the graph."""
import ast
import os
import os.path as osp

from conftest import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'mmwsss')

LAYERS = {
    'utils': 0,
    'checkpoint': 0,
    'version': 0,
    'datasets': 1,
    'models': 1,
    'engine': 1,
    'cams': 2,
    'pseudo_labels': 3,
    'evaluation': 4,
    'visualization': 5,
    'testing': 5,
    'apis': 6,
    'pipeline': 7,
}


def module_name(path):
    rel = osp.relpath(path, REPO_ROOT)[:-len('.py')].split(os.sep)
    return '.'.join(rel[:-1] if rel[-1] == '__init__' else rel)


def imported_modules(path):
    """``(line, module)`` of every mmwsss import in the file."""
    name = module_name(path)
    package = name if path.endswith('__init__.py') else name.rsplit('.', 1)[0]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1]
                target = '.'.join(parts + [node.module or ''])
                target = target.rstrip('.')
            else:
                target = node.module or ''
            if target.split('.')[0] == 'mmwsss':
                yield node.lineno, target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'mmwsss':
                    yield node.lineno, alias.name


def layer_of(module):
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else None


def all_edges():
    for dirpath, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith('.py'):
                path = osp.join(dirpath, name)
                for line, target in imported_modules(path):
                    yield path, line, module_name(path), target


def test_every_package_has_a_layer():
    packages = {
        osp.splitext(name)[0]
        for name in os.listdir(PACKAGE)
        if not name.startswith(('.', '_')) and (
            name.endswith('.py') or osp.isdir(osp.join(PACKAGE, name)))
    }
    assert packages == set(LAYERS), 'add new packages to LAYERS'


def test_imports_only_run_downward():
    upward = []
    for path, line, source, target in all_edges():
        src, dst = layer_of(source), layer_of(target)
        # The package root gathers everything; a package may import itself.
        if src is None or dst is None or src == dst:
            continue
        if LAYERS[dst] >= LAYERS[src]:
            upward.append(f'{osp.relpath(path, REPO_ROOT)}:{line} imports '
                          f'{target} ({src} -> {dst})')
    assert not upward, '\n'.join(upward)


def test_the_graph_walk_sees_imports_inside_functions(tmp_path):
    """The check could fail: a function-level upward import is an edge."""
    package = tmp_path / 'mmwsss' / 'models'
    package.mkdir(parents=True)
    source = package / 'bad.py'
    source.write_text('def f():\n    from mmwsss.apis import run_pipeline\n'
                      '    from ..cams import generate\n')
    import test_layers
    old_root = test_layers.REPO_ROOT
    test_layers.REPO_ROOT = str(tmp_path)
    try:
        found = sorted(imported_modules(str(source)))
    finally:
        test_layers.REPO_ROOT = old_root
    assert found == [(2, 'mmwsss.apis'), (3, 'mmwsss.cams')]
