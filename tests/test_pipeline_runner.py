"""The pipeline runner on configs of registered stages: a new stage type
plugs in with one class and one config, every reference and requirement is
checked before any stage runs, and the rerun rule holds for any stage."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmwsss.pipeline import (STAGES, BaseStage, PipelineRunner,
                             build_pipeline_config, check_summary,
                             method_names, run_pipeline)
from mmwsss.pipeline.record import StageRecord
from mmwsss.utils import save_json
from mmwsss.utils.errors import InputError
from conftest import REPO_ROOT, tiny_cfg_options

DATA = dict(cam_split='train', seed_split='train', val_split='val',
            true_mask_dir='SegmentationClass')


@STAGES.register_module(force=True)
class SplitSizeForTest(BaseStage):
    """A toy stage of the kind a user adds: counts a split's images and
    writes the count to its folder, scaled by ``factor``."""

    def __init__(self, split: str = 'cam', factor: int = 1):
        super().__init__()
        self.split = split
        self.factor = factor

    def settings(self, ctx, up):
        return dict(split=ctx.split(self.split), factor=self.factor,
                    data_root=ctx.data)

    def folders(self, ctx):
        return [self.out_path(ctx, 'count')]

    def run(self, ctx, up):
        from mmwsss.apis.data_roots import split_ids
        out = self.out_path(ctx, 'count', 'count.json')
        count = len(split_ids(ctx.data_root, ctx.split(self.split)))
        save_json(dict(count=count * self.factor), out)
        return dict(count=count * self.factor, path=out)


@STAGES.register_module(force=True)
class SeedReportForTest(BaseStage):
    """A toy stage reading a shipped stage's outputs and a toy one's."""
    inputs = ('seeds', 'count')

    def __init__(self, seeds: str, count: str):
        super().__init__(seeds=seeds, count=count)

    def run(self, ctx, up):
        return dict(
            report=f"{up['seeds']['best_miou']:.2f} over "
            f"{up['count']['count']} images")


def toy_config(**stages):
    return Config(dict(data=DATA, stages=stages, targets=['toy/double']))


def test_a_new_stage_and_config_run_reuse_and_rerun(tiny_data, tmp_path):
    stages = {
        'toy/count': dict(type='SplitSizeForTest'),
        'toy/double': dict(type='SplitSizeForTest', factor=2),
    }
    work = str(tmp_path / 'work')
    outputs = PipelineRunner(toy_config(**stages), tiny_data, work).run()
    assert outputs['toy/double']['count'] == 48
    # Only what the targets need runs.
    assert 'toy/count' not in outputs
    record = StageRecord(osp.join(work, 'toy'))
    assert record.done('double') and record.entry('count') is None
    # The same settings: skipped, the same outputs.
    again = PipelineRunner(toy_config(**stages), tiny_data, work).run()
    assert again['toy/double']['fingerprint'] == \
        outputs['toy/double']['fingerprint']
    # Another setting: rerun, its folder emptied first.
    stale = osp.join(work, 'toy', 'count', 'stale.txt')
    open(stale, 'w').close()
    stages['toy/double']['factor'] = 3
    changed = PipelineRunner(toy_config(**stages), tiny_data, work).run()
    assert changed['toy/double']['count'] == 72
    assert not osp.exists(stale)


def test_a_user_config_adds_a_stage_to_a_shipped_pipeline(tiny_data,
                                                          tmp_path):
    """A pipeline of a new shape: a shipped method's config, one stage more
    reading its seeds; nothing in mmwsss edited."""
    config = tmp_path / 'my_pipeline.py'
    config.write_text(
        f"_base_ = '{REPO_ROOT}/configs/pipelines/cam_demo.py'\n"
        "stages = {\n"
        "    'toy/count': dict(type='SplitSizeForTest'),\n"
        "    'toy/report': dict(type='SeedReportForTest', "
        "seeds='{seed}/seeds', count='toy/count'),\n"
        "}\n"
        "targets = ['toy/report']\n")
    work = str(tmp_path / 'work')
    report = run_pipeline(tiny_data, work, config=str(config),
                          cfg_options=tiny_cfg_options(max_epochs=1))
    seeds = json.load(open(osp.join(work, 'cam', 'cams',
                                    'seed_eval_train.json')))
    assert report['report'] == f"{seeds['best_miou']:.2f} over 24 images"
    # The segmentor and the labels were not needed.
    assert not osp.exists(osp.join(work, 'crf_labels'))


@pytest.mark.parametrize('stages,targets,message', [
    (dict(a=dict(type='SeedReportForTest', seeds='b', count='a')), ['a'],
     "stages['a'].seeds names stage 'b', which the pipeline config does "
     'not define'),
    (dict(a=dict(type='NoSuchStage')), ['a'], 'unknown stage type'),
    (dict(a=dict(type='SeedReportForTest', seeds='a', count='a')), ['a'],
     "stage 'a' reads itself"),
    (dict(a=dict(type='SplitSizeForTest', split='{nothing}')), ['a'],
     "names ['nothing']"),
    (dict(a=dict(type='SplitSizeForTest', colour='red')), ['a'],
     "stages['a'] (SplitSizeForTest)"),
    (dict(a=dict(type='SplitSizeForTest')), ['b'], "targets names stage 'b'"),
])
def test_bad_pipeline_configs_are_named_before_any_work(
        tiny_data, tmp_path, stages, targets, message):
    cfg = Config(dict(data=DATA, stages=stages, targets=targets))
    with pytest.raises(InputError, match=None) as error:
        PipelineRunner(cfg, tiny_data, str(tmp_path / 'work')).run()
    assert message in str(error.value)
    assert not osp.exists(tmp_path / 'work')


def test_missing_config_and_data_root_fail_before_any_stage(
        tiny_data, tmp_path):
    cfg = build_pipeline_config(method='recam', options={
        'stages.segmentation.config': 'demo/no_such_config.py'})
    work = str(tmp_path / 'work')
    with pytest.raises(FileNotFoundError, match='no_such_config'):
        PipelineRunner(cfg, tiny_data, work).run()
    assert not osp.exists(work)
    with pytest.raises(InputError, match='not in PASCAL VOC layout'):
        PipelineRunner(build_pipeline_config(method='recam'),
                       str(tmp_path), work).run()
    assert not osp.exists(work)


def test_every_method_and_preset_has_a_pipeline_that_plans(tiny_data):
    """Each shipped pipeline config builds its stages, and every
    reference of the summary's plan resolves (no work is done)."""
    counts = {}
    for preset in ('demo', 'voc', 'coco'):
        for method in method_names(preset):
            cfg = build_pipeline_config(method=method, preset=preset)
            runner = PipelineRunner(cfg, tiny_data, '/nonexistent')
            keys = [s.key for s in runner.stages]
            assert keys[-1] == 'summary' and len(keys) == len(set(keys))
            counts[(method, preset)] = len(keys)
    assert set(method_names('demo')) == {
        'cam', 'gradcam', 'gradcam++', 'recam', 'adl', 'cse',
        'hide_and_seek', 'adl+recam', 'acol', 'mdc', 'seam', 'ae', 'sec',
        'toco'}
    assert sorted(method_names('coco')) == ['cam', 'clip_es', 'recam',
                                            'toco']
    assert 'clip_es' in method_names('voc')
    # ReCAM's demo: CAM and ReCAM training, CAMs, seeds, the IRN stages.
    plan = [s.key for s in PipelineRunner(
        build_pipeline_config(method='recam'), tiny_data, '/x').stages]
    assert plan.index('cam/train') < plan.index('recam/train') < \
        plan.index('irn_train') < plan.index('segmentation')
    assert 'psa_train' not in plan and 'full_supervision' not in plan
    # bg_rule='config' drops AffinityNet's alpha sweep from CSE's plan.
    swept = [s.key for s in PipelineRunner(
        build_pipeline_config(method='cse'), tiny_data, '/x').stages]
    fixed = [s.key for s in PipelineRunner(
        build_pipeline_config(method='cse', bg_rule='config'), tiny_data,
        '/x').stages]
    assert 'psa_alpha_eval' in swept and 'psa_alpha_eval' not in fixed


def test_refine_without_its_stages_is_one_clear_error():
    with pytest.raises(ValueError, match="refine 'irn' has no 'coco'"):
        build_pipeline_config(method='recam', preset='coco', refine='irn')
    with pytest.raises(ValueError, match="method 'nope' has no 'demo'"):
        build_pipeline_config(method='nope')


def test_summary_schema_names_unknown_keys_and_wrong_types():
    check_summary(dict(seed_miou=50.0, seed_threshold=None))
    with pytest.raises(ValueError, match="'seed_mIoU' is not in the schema"):
        check_summary(dict(seed_mIoU=50.0))
    with pytest.raises(ValueError, match="'final_miou' is str"):
        check_summary(dict(final_miou='high'))


def test_pipeline_configs_inherit_and_list_their_stages_by_name():
    """Configs merge like mmseg's: a method config over the preset base,
    a stage's setting overridable by its key."""
    cfg = build_pipeline_config(
        method='recam',
        options={'stages.crf_labels.settings.bg_threshold': 0.2})
    assert cfg.stages['crf_labels']['settings'] == dict(bg_threshold=0.2)
    assert cfg.stages['{seed}/train']['load_from'] == 'cam/train'
    assert cfg.irn_config == 'demo/irn_r18_demo.py'
    path = osp.join(REPO_ROOT, 'configs', 'pipelines', 'recam_demo.py')
    assert os.path.isfile(path)


def test_demo_segmentor_trains_epochs_whatever_the_dataset_size():
    from mmwsss.apis import load_config
    from mmwsss.pipeline.stages.train_segmentor import set_length_in_epochs
    cfg = load_config('demo/encnet_r18_demo.py')
    set_length_in_epochs(cfg, 10, 320)
    # The demo's own length: 400 iterations of 8 images.
    assert cfg.train_cfg.max_iters == 400
    cfg = load_config('demo/encnet_r18_demo.py')
    set_length_in_epochs(cfg, 10, 100)
    assert cfg.train_cfg.max_iters == cfg.train_cfg.val_interval == 125
    assert cfg.param_scheduler[0]['end'] == 125
    demo = build_pipeline_config(method='recam')
    assert demo.stages['segmentation']['epochs'] == 10
