from setuptools import find_packages, setup


def get_version():
    scope = {}
    with open('mmwsss/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(path):
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='mmwsss',
    version=get_version(),
    description='Weakly-supervised semantic segmentation for MMSegmentation',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.8',
    install_requires=parse_requirements('requirements/runtime.txt') +
    ['mmcv>=2.0.0rc4,<2.2.0'],
    extras_require={'tests': parse_requirements('requirements/tests.txt')},
    zip_safe=False,
)
