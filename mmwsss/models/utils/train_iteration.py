"""The training iteration, for models whose losses follow a schedule."""
from mmengine.logging import MessageHub


def current_train_iter() -> int:
    """The 0-based iteration being trained, as mmengine's
    ``RuntimeInfoHook`` records it before every step (0 outside a runner).

    Single-stage methods switch losses and label sources at fixed
    iterations (ToCo's 2000, WeCLIP's RFM); the iteration lives in the
    runner, and a resumed run restores it, so the model keeps no counter of
    its own."""
    return int(MessageHub.get_current_instance().get_info('iter', 0))
