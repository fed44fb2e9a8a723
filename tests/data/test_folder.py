"""Image folders and .tar.gz archives: layouts, resizing, corrupt files, clear errors, caching."""
import tarfile

import numpy as np
import pytest
from PIL import Image

from wgangp.config import DataConfig
from wgangp.domains import build_source
from wgangp.data.folder import load_folder
from wgangp.errors import UserError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))


def _write(path, size=(12, 10), mode="RGB", seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path)


def test_class_subfolders_rgb_and_resize_crop(tmp_path):
    for i in range(3):
        _write(tmp_path / "imgs" / "cats" / f"{i}.png", seed=i)
        _write(tmp_path / "imgs" / "dogs" / f"{i}.jpg", size=(20, 16), seed=10 + i)
    x = load_folder(str(tmp_path / "imgs"), resolution=8)
    assert x.shape == (6, 3, 8, 8) and x.dtype.is_floating_point is False


def test_grayscale_folder_gives_one_channel_and_exact_pixels(tmp_path):
    _write(tmp_path / "g" / "a.png", mode="L", seed=1)
    x = load_folder(str(tmp_path / "g"))
    expected = np.asarray(Image.open(tmp_path / "g" / "a.png"))
    assert x.shape == (1, 1, 10, 12) and np.array_equal(x[0, 0].numpy(), expected)


def test_corrupt_file_is_skipped_with_a_count(tmp_path):
    _write(tmp_path / "d" / "ok.png")
    (tmp_path / "d" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.warns(UserWarning, match="skipped 1 unreadable image file.*broken.png"):
        x = load_folder(str(tmp_path / "d"))
    assert len(x) == 1


def test_mixed_sizes_need_a_resolution(tmp_path):
    _write(tmp_path / "m" / "a.png", size=(8, 8))
    _write(tmp_path / "m" / "b.png", size=(9, 9))
    with pytest.raises(UserError, match="different sizes.*data.resolution"):
        load_folder(str(tmp_path / "m"))
    assert load_folder(str(tmp_path / "m"), resolution=8).shape == (2, 3, 8, 8)


def test_empty_folder_and_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no images"):
        load_folder(str(tmp_path / "empty"))
    with pytest.raises(UserError, match="not found"):
        load_folder(str(tmp_path / "nope"))


def test_tar_gz_with_train_split_is_unpacked_once_and_cached(tmp_path):
    for split, n in (("train", 4), ("test", 2)):
        for i in range(n):
            _write(tmp_path / "src" / split / "c" / f"{i}.png", size=(8, 8), seed=i)
    with tarfile.open(tmp_path / "set.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src", arcname="set")
    first = load_folder(str(tmp_path / "set.tar.gz"))
    assert first.shape == (4, 3, 8, 8)                      # only train/ is used
    assert len(list((tmp_path / "cache" / "decoded").iterdir())) == 1
    assert np.array_equal(load_folder(str(tmp_path / "set.tar.gz")).numpy(), first.numpy())


def test_truncated_archive_gives_a_clear_error(tmp_path):
    _write(tmp_path / "src" / "a.png")
    with tarfile.open(tmp_path / "set.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src", arcname="set")
    data = (tmp_path / "set.tar.gz").read_bytes()
    (tmp_path / "bad.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="cannot unpack"):
        load_folder(str(tmp_path / "bad.tar.gz"))


def test_cifar_preset_source_reads_a_folder_through_data_path(tmp_path):
    for i in range(4):
        _write(tmp_path / "c" / "x" / f"{i}.png", size=(32, 32), seed=i)
    src = build_source(DataConfig(name="cifar10", path=str(tmp_path / "c"), batch_size=2), seed=0)
    assert src.shape == (3, 32, 32)
    b = src.sample_batch()
    assert b.shape == (2, 3, 32, 32) and -1 <= b.min() and b.max() <= 1


def test_class_subfolders_give_imagefolder_labels_and_a_test_split(tmp_path):
    from wgangp.data.folder import load_labelled_folder

    for split, n in (("train", 3), ("test", 2)):
        for cls in ("b_dogs", "a_cats"):
            for i in range(n):
                _write(tmp_path / "set" / split / cls / f"{i}.png", seed=i)
    x, y, names = load_labelled_folder(str(tmp_path / "set"))
    assert names == ["a_cats", "b_dogs"] and x.shape[0] == 6 and sorted(y.tolist()) == [0, 0, 0, 1, 1, 1]
    xt, yt, _ = load_labelled_folder(str(tmp_path / "set"), split="test")
    assert xt.shape[0] == 4 and sorted(yt.tolist()) == [0, 0, 1, 1]
    _write(tmp_path / "flat" / "0.png")
    _write(tmp_path / "flat" / "1.png")
    assert load_labelled_folder(str(tmp_path / "flat"))[1] is None                  # no class folders: no labels
    assert load_labelled_folder(str(tmp_path / "flat"), split="test")[0].numel() == 0
    assert load_labelled_folder(str(tmp_path / "set"), max_images=4)[0].shape[0] == 4


def _lsun_db(root, n=5, category="bedroom_train"):
    import io

    lmdb = pytest.importorskip("lmdb")
    env = lmdb.open(str(root / f"{category}_lmdb"), map_size=1 << 24)
    rng = np.random.default_rng(0)
    with env.begin(write=True) as txn:
        for i in range(n):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (30 + i, 40, 3), dtype=np.uint8)).save(buf, "JPEG")
            txn.put(f"{i:040x}".encode(), buf.getvalue())
        txn.put(b"f" * 40, b"not an image")                                      # a corrupt record
    env.close()


def test_lsun_lmdb_through_torchvision_resized_with_corrupt_records_skipped(tmp_path, monkeypatch):
    _lsun_db(tmp_path)
    monkeypatch.chdir(tmp_path)
    cfg = DataConfig(name="lsun", path=str(tmp_path), resolution=16, batch_size=4)
    with pytest.warns(UserWarning, match="skipped 1 unreadable LSUN record"):
        src = build_source(cfg, seed=0)
    assert src.shape == (3, 16, 16) and len(src.points) == 5
    assert not list(tmp_path.glob("_cache_*"))                       # torchvision's key cache kept out of the cwd
    assert len(build_source(DataConfig(name="lsun", path=str(tmp_path), resolution=16, batch_size=2,
                                       max_images=3), seed=0).points) == 3
    with pytest.raises(UserError, match="church_outdoor_train_lmdb' not found"):
        build_source(DataConfig(name="lsun", path=str(tmp_path), lsun_class="church_outdoor_train", resolution=16), seed=0)
    with pytest.raises(UserError, match="set data.resolution"):
        build_source(DataConfig(name="lsun", path=str(tmp_path), batch_size=2), seed=0)


def test_a_decoded_cache_written_by_an_earlier_version_is_still_read(tmp_path):
    for i in range(3):
        _write(tmp_path / "src" / "c" / f"{i}.png", size=(8, 8), seed=i)
    first = load_folder(str(tmp_path / "src"))
    (cache,) = (tmp_path / "cache" / "decoded").iterdir()
    with np.load(cache) as z:
        assert sorted(z.files) == ["labels", "pixels"]
        labels = z["labels"]
    marked = first.numpy().copy()
    marked[0, 0, 0, 0] ^= 0xFF                                   # read back from the cache, not decoded again
    with open(cache, "wb") as fh:                                # the earlier versions' array name
        np.savez(fh, images=marked, labels=labels)
    assert np.array_equal(load_folder(str(tmp_path / "src")).numpy(), marked)
