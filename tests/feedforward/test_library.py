"""fast_stylize, the networks' folders, the missing-network message, the shipped networks and the
command line (fast, train-network)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labhelpers.__main__ import main
from labhelpers.feedforward import library
from labhelpers.feedforward.network import build_transform_network, save_network_weights
from labhelpers.feedforward.photos import HELD_OUT
from labhelpers.images import list_images, load_image, resize_to


@pytest.fixture
def user_networks(tmp_path, monkeypatch):
    """An empty cache folder whose networks/ holds a new (untrained) network 'plain_copy'."""
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path / "cache"))
    folder = library.user_networks_dir()
    folder.mkdir(parents=True)
    save_network_weights(build_transform_network(seed=0), folder / "plain_copy.npz")
    return folder


def test_fast_stylize_with_a_new_network_returns_the_photo(user_networks):
    """An untrained network returns its photo (its last convolution is zero): fast_stylize must
    give the photo back, scaled to ``size``, as float32 in [0, 1]."""
    photo = load_image("raccoon")
    picture = library.fast_stylize(photo, "plain_copy", size=96)
    expected = np.clip(resize_to(photo, 96), 0.01, 0.99)
    assert picture.shape == expected.shape == (72, 96, 3) and picture.dtype == np.float32
    np.testing.assert_allclose(picture, expected, atol=2e-3)
    kept = library.fast_stylize(photo[:50, :70], "plain_copy", size=None)
    assert kept.shape == (50, 70, 3)


def test_a_missing_network_says_which_exist_and_how_to_train_one(user_networks):
    with pytest.raises(library.NetworkMissingError) as caught:
        library.fast_stylize("raccoon", "hokusai_great_wave")
    text = str(caught.value)
    assert "No trained network for the painting 'hokusai_great_wave'" in text
    assert "plain_copy" in text and "van_gogh_starry_night" in text
    assert "python -m labhelpers train-network hokusai_great_wave" in text


def test_bad_size_is_refused(user_networks):
    with pytest.raises(ValueError, match="size must be a whole number"):
        library.fast_stylize("raccoon", "plain_copy", size=8)


@pytest.mark.parametrize("painting", list_images("style"))
def test_every_bundled_painting_has_a_small_shipped_network_with_its_record(painting):
    weights = library.SHIPPED_DIR / f"{painting}.npz"
    assert weights.is_file() and weights.stat().st_size < 1_000_000
    record = json.loads(weights.with_suffix(".json").read_text())
    assert record["painting"] == painting and isinstance(record["seed"], int)
    assert record["seconds"] > 0 and record["steps"] > 0
    names = {photo["name"] for photo in record["photos"]}
    assert names and not names & set(HELD_OUT)
    assert all(photo["licence"] and len(photo["sha256"]) == 64 for photo in record["photos"])


@pytest.mark.parametrize("painting", list_images("style"))
def test_shipped_networks_move_held_out_photos_towards_the_painting(extractor, painting):
    """Property of a trained network: its picture of a photo it never saw is nearer the
    painting's Gram matrices (relative error, five style layers) than the photo is."""
    layers = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
    features = extractor.with_layers(layers)
    target = {k: v.numpy() for k, v in features(resize_to(load_image(painting), 256)).items()}

    def gram_error(picture):
        maps = features(picture)
        errors = []
        for name in layers:
            f = maps[name].numpy().reshape(-1, target[name].shape[-1])
            a = target[name].reshape(-1, f.shape[1])
            g, t = f.T @ f / f.size, a.T @ a / a.size
            errors.append(np.linalg.norm(g - t) / np.linalg.norm(t))
        return np.mean(errors)

    photo = resize_to(load_image(HELD_OUT[0]), 128)
    picture = library.fast_stylize(photo, painting, size=None)
    assert gram_error(picture) < 0.8 * gram_error(photo)


def status(argv):
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_cli_fast_writes_never_replaces_and_names_missing_networks(
    user_networks, tmp_path, capsys
):
    out = tmp_path / "out.png"
    assert status(["fast", "raccoon", "plain_copy", "-o", str(out), "--size", "64"]) == 0
    assert "Saved" in capsys.readouterr().out and load_image(out).shape == (48, 64, 3)
    assert status(["fast", "raccoon", "plain_copy", "-o", str(out), "--size", "64"]) == 0
    assert (tmp_path / "out-1.png").is_file()  # the first one was kept
    photo = tmp_path / "photo.png"
    photo.write_bytes(out.read_bytes())
    before = photo.read_bytes()
    assert status(["fast", str(photo), "plain_copy", "-o", str(photo), "--overwrite"]) == 2
    assert "inputs are never replaced" in capsys.readouterr().err
    assert photo.read_bytes() == before
    assert status(["fast", "raccoon", "no_such_painting", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "No trained network for the painting 'no_such_painting'" in err
    assert "train-network" in err


def test_cli_train_network_records_and_refuses_to_replace(extractor, tmp_path, capsys):
    folder = tmp_path / "nets"
    argv = [
        "train-network",
        "van_gogh_night_cafe",
        "--photos",
        "astronaut",
        "--steps",
        "2",
        "--crop",
        "32",
        "--batch-size",
        "1",
        "-o",
        str(folder),
    ]
    assert status(argv) == 0
    record = json.loads((folder / "van_gogh_night_cafe.json").read_text())
    assert record["steps"] == 2 and record["seed"] == 0 and record["seconds"] > 0
    assert [p["name"] for p in record["photos"]] == ["astronaut"]
    assert record["photos"][0]["licence"].startswith("public domain")
    weights = (folder / "van_gogh_night_cafe.npz").read_bytes()
    assert status(argv) == 2
    assert "exists already; give --overwrite" in capsys.readouterr().err
    assert (folder / "van_gogh_night_cafe.npz").read_bytes() == weights


def test_cli_train_network_takes_the_network_size_and_the_weights(extractor, tmp_path, capsys):
    """The size, learning rate and style weight given are the ones trained and recorded; bad
    values are refused in one line before anything is trained or written."""
    from labhelpers.feedforward.network import load_network_weights

    folder = tmp_path / "nets"
    base = ["train-network", "van_gogh_night_cafe", "--photos", "astronaut", "--steps", "2"]
    base += ["--crop", "32", "--batch-size", "1", "-o", str(folder)]
    sizes = ["--channels", "4,8,12", "--residual-blocks", "1"]
    assert status([*base, *sizes, "--learning-rate", "0.01", "--style-weight", "30"]) == 0
    record = json.loads((folder / "van_gogh_night_cafe.json").read_text())
    assert record["network"]["channels"] == [4, 8, 12]
    assert record["network"]["residual_blocks"] == 1
    assert record["training"]["learning_rate"] == pytest.approx(0.01)
    assert record["loss"]["style"] == 30.0 and record["loss"]["content"] == 1.0
    network = load_network_weights(folder / "van_gogh_night_cafe.npz")
    assert network.channels == (4, 8, 12) and network.residual_blocks == 1
    capsys.readouterr()
    empty = tmp_path / "empty"
    refused = [
        (["--channels", "4,8"], "three whole numbers >= 1 separated by commas"),
        (["--channels", "4,0,8"], "three whole numbers >= 1 separated by commas"),
        (["--learning-rate", "0"], "the learning rate must be a number > 0"),
        (["--style-weight", "nan"], "the style weight must be a number > 0"),
    ]
    for extra, message in refused:
        argv = [*base[:-1], str(empty), *extra]
        assert status(argv) == 2, extra
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
        assert not empty.exists()
