import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

# What mim and mmengine's ``mmwsss::`` config paths look for inside the
# installed package, as mmseg ships them: ``mmwsss/.mim/{configs,tools}``.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def get_version():
    scope = {}
    with open('mmwsss/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(path):
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def add_mim_extension():
    """Put configs and tools inside the package: copies for a wheel or an
    sdist, links back to the source tree for an editable install."""
    if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
        mode = 'link'
    elif any(cmd in sys.argv for cmd in ('bdist_wheel', 'sdist', 'build')):
        mode = 'copy'
    else:
        return
    repo = osp.dirname(osp.abspath(__file__))
    mim_dir = osp.join(repo, 'mmwsss', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        source = osp.join(repo, name)
        target = osp.join(mim_dir, name)
        if not osp.exists(source):
            continue
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        if mode == 'link':
            os.symlink(osp.relpath(source, mim_dir), target)
        elif osp.isdir(source):
            shutil.copytree(source, target,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(source, target)


add_mim_extension()

setup(
    name='mmwsss',
    version=get_version(),
    description='Weakly-supervised semantic segmentation for MMSegmentation',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    python_requires='>=3.8',
    install_requires=parse_requirements('requirements/runtime.txt') +
    ['mmcv>=2.0.0rc4,<2.2.0'],
    extras_require={'tests': parse_requirements('requirements/tests.txt')},
    zip_safe=False,
)
