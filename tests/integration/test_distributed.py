"""Data-parallel training over a torch.distributed group: 2 CPU processes with gloo.

The same code runs one process per GPU under ``torchrun`` or
``accelerate launch`` (NCCL); here two processes on the CPU check the logic:
every process ends with the same weights, equal to one process training
with batches twice as large on the same rows.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import warnings

    import numpy as np
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp

    from skae import Autoencoder, DenoisingAutoencoder, VariationalAutoencoder, data_parallel

    CLASSES = {
        "Autoencoder": Autoencoder,
        "DenoisingAutoencoder": DenoisingAutoencoder,
        "VariationalAutoencoder": VariationalAutoencoder,
    }


    def data():
        rng = np.random.default_rng(0)
        X = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 8))
        return (X + 0.1 * rng.normal(size=(400, 8))).astype(np.float32)


    def fit(name, batch_size, random_state, early_stopping, rows=slice(None)):
        model = CLASSES[name](
            n_components=2, hidden_layer_sizes=(16,), batch_size=batch_size, alpha=0.0,
            max_iter=4, tol=0.0, n_iter_no_change=10, early_stopping=early_stopping,
            random_state=random_state,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(data()[rows])


    def worker(rank, folder, name, random_state, early_stopping):
        torch.set_num_threads(1)
        dist.init_process_group(
            "gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2
        )
        if name == "alone":
            # outside data_parallel(), each process trains its own model, here on its own rows
            model = fit("Autoencoder", 50, 0, False, rows=slice(rank * 200, rank * 200 + 200))
        else:
            with data_parallel():
                model = fit(name, 50, random_state, early_stopping)
        np.save(f"{folder}/codes{rank}.npy", model.transform(data()))
        np.save(f"{folder}/loss{rank}.npy", np.array(model.loss_curve_))
        np.save(f"{folder}/offset{rank}.npy", np.array([model.offset_]))
        dist.destroy_process_group()


    if __name__ == "__main__":
        folder, name, seed, early = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
        random_state = None if seed == "none" else int(seed)
        mp.spawn(worker, args=(folder, name, random_state, early), nprocs=2)
        if random_state is not None and name != "alone":
            torch.set_num_threads(1)
            single = fit(name, 100, random_state, early)
            np.save(f"{folder}/codes_single.npy", single.transform(data()))
            np.save(f"{folder}/loss_single.npy", np.array(single.loss_curve_))
    """
)


def _run(tmp_path, name, seed, early_stopping=False):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path), name, str(seed), str(int(early_stopping))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {path.stem: np.load(path) for path in tmp_path.glob("*.npy")}


@pytest.mark.parametrize("name", ["Autoencoder", "DenoisingAutoencoder", "VariationalAutoencoder"])
def test_two_processes_train_one_model(tmp_path, name):
    out = _run(tmp_path, name, 0)
    # every process holds the same model, and recorded the same (averaged) losses
    np.testing.assert_array_equal(out["codes0"], out["codes1"])
    np.testing.assert_array_equal(out["loss0"], out["loss1"])
    assert out["offset0"] == out["offset1"]
    assert len(out["loss0"]) == 4
    if name == "Autoencoder":
        # two processes with batches of 50 take the steps of one with batches of 100
        np.testing.assert_allclose(out["codes0"], out["codes_single"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(out["loss0"], out["loss_single"], rtol=1e-4)
    else:
        # the noise differs, the training does not diverge from one process's
        assert np.all(np.isfinite(out["codes0"]))


def test_processes_agree_without_a_seed_and_with_early_stopping(tmp_path):
    out = _run(tmp_path, "Autoencoder", "none", early_stopping=True)
    np.testing.assert_array_equal(out["codes0"], out["codes1"])
    np.testing.assert_array_equal(out["loss0"], out["loss1"])


def test_outside_data_parallel_each_process_trains_alone(tmp_path):
    out = _run(tmp_path, "alone", 0)
    assert not np.allclose(out["codes0"], out["codes1"])
    assert "codes_single" not in out


def test_data_parallel_needs_a_process_group():
    from skae import data_parallel

    message = r"needs an initialised torch\.distributed process group"
    with pytest.raises(RuntimeError, match=message), data_parallel():
        pass
