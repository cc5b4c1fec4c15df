"""Every bad input the tools can meet fails before the long work starts,
with a non-zero exit and a message naming the file or key."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmwsss.utils import check_image_file
from conftest import run_tool


@pytest.fixture
def data(tiny_data, tmp_path):
    """A private copy of the tiny dataset to break."""
    root = tmp_path / 'data'
    shutil.copytree(tiny_data, root)
    return root


def make_cams_fails(config, checkpoint, data_root, out_dir, *extra):
    stderr = run_tool('make_cams.py', config, checkpoint, '--out-dir',
                      out_dir, '--data-root', data_root, '--scales', 1.0,
                      '--num-workers', 0, *extra, expect_ok=False)
    # Nothing was written before the error.
    assert not osp.isdir(out_dir) or not os.listdir(out_dir)
    return stderr


def train_fails(config, data_root, work_dir, *options):
    return run_tool('train.py', config, '--work-dir', work_dir,
                    '--cfg-options', f'train_dataloader.dataset.data_root='
                    f'{data_root}', f'val_dataloader.dataset.data_root='
                    f'{data_root}', *options, expect_ok=False)


def test_missing_image_file(data, tiny_checkpoint, tmp_path):
    os.remove(data / 'JPEGImages' / 'train_00003.jpg')
    stderr = make_cams_fails(*tiny_checkpoint, data, tmp_path / 'cams')
    assert "train.txt lists 1 id(s) with no image in" in stderr
    assert "['train_00003']" in stderr


def test_split_listing_ids_that_do_not_exist(data, tiny_checkpoint,
                                             tmp_path):
    split = data / 'ImageSets' / 'Segmentation' / 'train.txt'
    split.write_text(split.read_text() + '\n'.join(
        f'ghost_{i}' for i in range(7)) + '\n')
    stderr = make_cams_fails(*tiny_checkpoint, data, tmp_path / 'cams')
    assert 'lists 7 id(s) with no image' in stderr
    assert "'ghost_0'" in stderr and 'and 2 more' in stderr


@pytest.mark.parametrize('damage,message', [
    (lambda b: b'', 'unreadable image'),
    (lambda b: b'<html>404 Not Found</html>', 'unreadable image'),
    (lambda b: b[:len(b) // 2], 'truncated JPEG'),
])
def test_corrupt_jpeg(data, tiny_checkpoint, tmp_path, damage, message):
    path = data / 'JPEGImages' / 'train_00005.jpg'
    path.write_bytes(damage(path.read_bytes()))
    stderr = make_cams_fails(*tiny_checkpoint, data, tmp_path / 'cams')
    assert 'train_00005.jpg' in stderr and message in stderr


def test_check_image_file_accepts_padding_after_the_marker(tmp_path):
    path = tmp_path / 'padded.jpg'
    Image.new('RGB', (8, 8)).save(path)
    path.write_bytes(path.read_bytes() + b'\0' * 100)
    check_image_file(str(path))
    with pytest.raises(FileNotFoundError, match='image not found'):
        check_image_file(str(tmp_path / 'none.jpg'))


def test_xml_that_does_not_parse(data, tiny_checkpoint, tmp_path):
    (data / 'Annotations' / 'train_00002.xml').write_text('<annotation><obj')
    stderr = train_fails(tiny_checkpoint[0], data, tmp_path / 'work')
    assert 'train_00002.xml: the XML does not parse' in stderr


def test_object_name_not_in_class_list(data, tiny_checkpoint, tmp_path):
    xml = data / 'Annotations' / 'val_00030.xml'
    text = xml.read_text()
    first = text.index('<name>') + len('<name>')
    xml.write_text(text[:first] + 'unicorn' + text[text.index('</name>'):])
    stderr = train_fails(tiny_checkpoint[0], data, tmp_path / 'work')
    assert "val_00030.xml: object name 'unicorn' is not one of" in stderr


def test_image_without_foreground_label_in_training_split(
        data, tiny_checkpoint, tmp_path):
    xml = data / 'Annotations' / 'train_00007.xml'
    text = xml.read_text()
    xml.write_text(text[:text.index('<object>')] + '</annotation>\n')
    stderr = train_fails(tiny_checkpoint[0], data, tmp_path / 'work')
    assert "train.txt: 1 image(s) have no foreground label" in stderr
    assert "['train_00007']" in stderr
    # Evaluation splits may hold such images.
    out = run_tool('make_cams.py', *tiny_checkpoint, '--out-dir',
                   tmp_path / 'cams', '--data-root', data, '--scales', 1.0,
                   '--num-workers', 0)
    assert '24 CAM files written' in out


def test_cls_labels_npy_disagreeing_with_split(data, tiny_checkpoint,
                                               tmp_path):
    ids = (data / 'ImageSets/Segmentation/train.txt').read_text().split()
    np.save(data / 'cls_labels.npy', {i: np.ones(3) for i in ids[:-2]})
    options = ('train_dataloader.dataset.label_source=npy',
               'train_dataloader.dataset.cls_labels_file=cls_labels.npy')
    stderr = train_fails(tiny_checkpoint[0], data, tmp_path / 'work',
                         *options)
    assert 'cls_labels.npy disagrees with the split: no labels for 2 of ' \
        'its 24 ids' in stderr
    np.save(data / 'cls_labels.npy', {i: np.ones(5) for i in ids})
    stderr = train_fails(tiny_checkpoint[0], data, tmp_path / 'work',
                         *options)
    assert f"labels of '{ids[0]}' have 5 entries, expected 3" in stderr


@pytest.fixture(scope='module')
def val_cams(tiny_data, tiny_checkpoint, tmp_path_factory):
    """The tiny checkpoint's CAM files of val, written once, for tests
    that corrupt a copy."""
    cam_dir = tmp_path_factory.mktemp('val_cams') / 'cams'
    run_tool('make_cams.py', *tiny_checkpoint, '--out-dir', cam_dir,
             '--data-root', tiny_data, '--split', 'val', '--scales', 1.0,
             '--num-workers', 0)
    return cam_dir


@pytest.mark.parametrize('content,message', [
    (b'not a numpy file', 'not a readable .npy CAM file'),
    (dict(keys=np.array([0]), cams=np.zeros((1, 128, 128))),
     'must hold a dict with "keys" and "high_res", found '
     "['cams', 'keys']"),
    (dict(keys=np.array([0]), high_res=np.zeros((1, 64, 64), np.float32)),
     'CAMs are (64, 64) but the image is (128, 128)'),
    (dict(keys=np.array([7]), high_res=np.zeros((1, 128, 128), np.float32)),
     'class indices [7] fall outside [0, 3)'),
])
def test_corrupt_or_wrong_cam_file(data, val_cams, tmp_path, content,
                                   message):
    cam_dir = tmp_path / 'cams'
    shutil.copytree(val_cams, cam_dir)
    bad = cam_dir / 'val_00027.npy'
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        np.save(bad, content)
    common = ('--cam-dir', cam_dir, '--data-root', data, '--split', 'val')
    stderr = run_tool('make_pseudo_labels.py', *common, '--out-dir',
                      tmp_path / 'labels', '--crf', expect_ok=False)
    assert 'val_00027.npy' in stderr and message in stderr
    stderr = run_tool('eval_cams.py', *common, expect_ok=False)
    assert 'val_00027.npy' in stderr and message in stderr


def test_pseudo_label_of_wrong_size(data, tmp_path):
    label_dir = data / 'pseudo'
    shutil.copytree(data / 'SegmentationClass', label_dir)
    Image.new('P', (64, 128)).save(label_dir / 'train_00011.png')
    stderr = run_tool(
        'train.py', 'configs/demo/encnet_r18_demo.py', '--work-dir',
        tmp_path / 'seg', '--cfg-options',
        f'train_dataloader.dataset.data_root={data}',
        'train_dataloader.dataset.pseudo_label_dir=pseudo',
        f'val_dataloader.dataset.data_root={data}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        expect_ok=False)
    assert 'train_00011.png: pseudo label is 64x128 but its image' in stderr


def test_checkpoint_of_a_different_number_of_classes(data, tiny_checkpoint,
                                                     tmp_path):
    config, checkpoint = tiny_checkpoint
    option = ('--cfg-options', 'model.cam_head.num_classes=5')
    stderr = make_cams_fails(config, checkpoint, data, tmp_path / 'cams',
                             *option)
    assert 'epoch_1.pth does not fit the model' in stderr
    assert 'cam_head.classifier.weight is (3, 64, 1, 1) in the checkpoint, ' \
        '(5, 64, 1, 1) in the model' in stderr
    assert 'the config has 5 classes' in stderr
    stderr = run_tool('test.py', config, checkpoint, '--work-dir',
                      tmp_path / 'test', *option, expect_ok=False)
    assert 'does not fit the model' in stderr


def test_data_root_not_in_voc_layout(data, tiny_checkpoint, tmp_path):
    not_voc = tmp_path / 'flat'
    os.makedirs(not_voc)
    for name in os.listdir(data / 'JPEGImages')[:3]:
        shutil.copy(data / 'JPEGImages' / name, not_voc)
    stderr = make_cams_fails(*tiny_checkpoint, not_voc, tmp_path / 'cams')
    assert f'{not_voc} is not in PASCAL VOC layout' in stderr
    stderr = run_tool('make_pseudo_labels.py', '--cam-dir', tmp_path,
                      '--data-root', not_voc, '--out-dir', tmp_path / 'l',
                      expect_ok=False)
    assert f'{not_voc} is not in PASCAL VOC layout: missing' in stderr
    stderr = run_tool('run_pipeline.py', '--preset', 'demo', '--data-root',
                      not_voc, '--work-dir', tmp_path / 'p', expect_ok=False)
    assert 'is not in PASCAL VOC layout' in stderr


def test_user_mistakes_end_in_one_line(data, tmp_path):
    """A bad input ends the tool with one line naming the problem, not a
    traceback; MMWSSS_TRACEBACK=1 brings the traceback back."""
    os.remove(data / 'SegmentationClass' / 'train_00003.png')
    stderr = run_tool('eval_cams.py', '--cam-dir', tmp_path / 'no_cams',
                      '--data-root', data, expect_ok=False)
    assert 'Traceback' not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith('eval_cams.py: error: ') and 'no_cams' in last
    os.environ['MMWSSS_TRACEBACK'] = '1'
    try:
        stderr = run_tool('eval_cams.py', '--cam-dir', tmp_path / 'no_cams',
                          '--data-root', data, expect_ok=False)
    finally:
        del os.environ['MMWSSS_TRACEBACK']
    assert 'Traceback' in stderr
