"""Data-parallel training over a ``torch.distributed`` group (pure torch).

:func:`data_parallel` opts a block of code in; inside it,
:func:`distributed_world` tells the training layer which share of each step a
process takes, :func:`broadcast_seeds` gives every process rank 0's seeds, and
:func:`average_gradients` makes one all-reduce per step.
"""

import contextlib
import contextvars

import torch

__all__ = ["average_gradients", "broadcast_seeds", "data_parallel", "distributed_world"]

_DATA_PARALLEL = contextvars.ContextVar("skae_data_parallel", default=False)


@contextlib.contextmanager
def data_parallel():
    """Train one model over all the processes of a ``torch.distributed`` group.

    Inside this context, every process of the group (started by ``torchrun``
    or ``accelerate launch``) must make the same training calls on the same
    data: each process takes its share of every step's batch, one
    all-reduce per step averages the gradients and the loss, and the seeds
    are rank 0's, so all the processes end with the same model. Outside it,
    each process trains on its own, even in an initialised group.

    Raises
    ------
    RuntimeError
        When no ``torch.distributed`` process group is initialised.

    Examples
    --------
    Run as ``torchrun --nproc_per_node 2 train.py``::

        import torch.distributed as dist
        import skae

        dist.init_process_group()           # or accelerate.Accelerator()
        with skae.data_parallel():
            ae = skae.Autoencoder(device="cuda", random_state=0).fit(X)
    """
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "data_parallel() needs an initialised torch.distributed process group: start "
            "the script with torchrun or accelerate launch, and call "
            "torch.distributed.init_process_group() (accelerate.Accelerator() does) first."
        )
    token = _DATA_PARALLEL.set(True)
    try:
        yield
    finally:
        _DATA_PARALLEL.reset(token)


def distributed_world():
    """``(rank, world_size)`` inside :func:`data_parallel` with several processes, else None."""
    dist = torch.distributed
    if not (_DATA_PARALLEL.get() and dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    return (dist.get_rank(), world) if world > 1 else None


def _collective_device():
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def broadcast_seeds(seeds):
    """Rank 0's ``seeds`` on every process of a distributed group (unchanged outside one)."""
    if distributed_world() is None:
        return [int(seed) for seed in seeds]
    values = torch.tensor([int(seed) for seed in seeds], dtype=torch.int64)
    values = values.to(_collective_device())
    torch.distributed.broadcast(values, src=0)
    return [int(seed) for seed in values.tolist()]


def average_gradients(module, loss, world_size):
    """Average the gradients and the loss over the processes, in one all-reduce.

    Returns the averaged loss (detached), which every process then records,
    so that stopping rules decide alike everywhere.
    """
    params = [p for p in module.parameters() if p.grad is not None]
    flat = torch.cat([p.grad.reshape(-1) for p in params] + [loss.detach().reshape(1)])
    device = flat.device
    flat = flat.to(_collective_device())
    torch.distributed.all_reduce(flat)
    flat = flat.to(device) / world_size
    offset = 0
    for p in params:
        n = p.numel()
        p.grad.copy_(flat[offset : offset + n].view_as(p.grad))
        offset += n
    return flat[-1]
