"""Issue 17 item 1: N independent 2-D GAN runs trained as one stacked model (torch.func vmap)
replay the unbatched runs step for step: same seed, same samples, to float rounding.

GAN dynamics amplify rounding: in float32 the batched and unbatched minimax grid runs agree to
~1e-6 after 8 steps and drift apart within ~50 (different matmul kernels round differently), so the
long replay is checked in float64, the short one in float32."""

import pytest
import torch

from labkit.gan.train import MIXTURE_RECIPES, train_mixture_gan, train_mixture_gans

torch.set_num_threads(1)


def _samples(G):
    return G.sample(300, torch.Generator().manual_seed(11)).double()


def _replay(mixture, recipe, steps, dtype, tol):
    seeds = (0, 3)
    batched = train_mixture_gans(
        mixture, recipe, steps=steps, seeds=seeds, n_snapshots=2, dtype=dtype
    )
    assert len(batched) == len(seeds)
    for seed, b in zip(seeds, batched):
        Gb, snaps = b.G, b.snapshots
        run = train_mixture_gan(
            mixture, recipe, steps=steps, seed=seed, n_snapshots=2, rng_seed=seed, dtype=dtype
        )
        G, ref = run.G, run.snapshots
        assert [s["step"] for s in snaps] == [s["step"] for s in ref] == [steps // 2, steps]
        torch.testing.assert_close(_samples(Gb), _samples(G), atol=tol, rtol=tol)
        for k, v in ref[0]["D"].items():  # D at the first snapshot too
            torch.testing.assert_close(snaps[0]["D"][k], v, atol=tol, rtol=tol)
    assert not torch.allclose(_samples(batched[0].G), _samples(batched[1].G))  # two different runs


@pytest.mark.parametrize(
    "mixture,recipe", [("ring", "tuned"), ("grid", "minimax"), ("grid", "tuned")]
)
def test_batched_runs_replay_unbatched_float64(mixture, recipe):
    # 96 steps: the tuned recipe's lazy R1 (every 8th D update), instance noise, lr decay and EMA
    # all act
    _replay(mixture, recipe, 96, torch.float64, 1e-9)


@pytest.mark.parametrize("mixture,recipe", [("ring", "tuned"), ("grid", "minimax")])
def test_batched_runs_replay_unbatched_float32_short(mixture, recipe):
    _replay(mixture, recipe, 8, torch.float32, 1e-4)


def test_rng_seed_makes_a_run_independent_of_the_global_generator():
    torch.manual_seed(1)
    a = _samples(train_mixture_gan("ring", "tuned", steps=16, seed=0, n_snapshots=1, rng_seed=5).G)
    torch.manual_seed(2)
    b = _samples(train_mixture_gan("ring", "tuned", steps=16, seed=0, n_snapshots=1, rng_seed=5).G)
    torch.testing.assert_close(a, b)


def test_mixed_runs_in_one_batch_replay_unbatched_float64():
    """Notebook 05's call: both recipes on both mixtures, different step counts (a run that
    finishes first is frozen while the others go on), one stacked model."""
    mixtures, recipes, steps = (
        ["ring", "ring", "grid", "grid"],
        ["minimax", "tuned"] * 2,
        [48, 48, 64, 64],
    )
    batched = train_mixture_gans(
        mixtures, recipes, steps=steps, seeds=0, n_snapshots=2, dtype=torch.float64
    )
    assert len(batched) == 4
    for b, m, r, s in zip(batched, mixtures, recipes, steps):
        run = train_mixture_gan(
            m, r, steps=s, seed=0, n_snapshots=2, rng_seed=0, dtype=torch.float64
        )
        assert [x["step"] for x in b.snapshots] == [x["step"] for x in run.snapshots] == [s // 2, s]
        assert b.G.n_categories == run.G.n_categories
        torch.testing.assert_close(_samples(b.G), _samples(run.G), atol=1e-9, rtol=1e-9)
        for k, v in run.snapshots[0]["D"].items():
            torch.testing.assert_close(b.snapshots[0]["D"][k], v, atol=1e-9, rtol=1e-9)
        assert len(b.history.steps["d_loss"]) == s and b.trainer is None
        for k in ("d_loss", "g_loss"):
            torch.testing.assert_close(
                torch.tensor(b.history.steps[k]),
                torch.tensor(run.history.steps[k]),
                atol=1e-9,
                rtol=1e-9,
            )


def test_batched_runs_report_a_winning_discriminator():
    run = train_mixture_gans(
        "ring",
        "minimax",
        steps=40,
        seeds=(0,),
        n_snapshots=1,
        window=5,
        win_threshold=0.0,
        on_divergence="ignore",
    )[0]
    assert any("winning outright" in m for m in run.diagnosis)


def test_batched_runs_reject_different_architectures():
    with pytest.raises(ValueError, match="batch size"):
        train_mixture_gans(
            "ring", ["tuned", {**MIXTURE_RECIPES["tuned"], "batch_size": 64}], steps=2, seeds=0
        )
