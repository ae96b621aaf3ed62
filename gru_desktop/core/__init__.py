"""The Qt-free engine: corpus → vocabulary → windows → GRU → training, prediction, evaluation, traces.

Never imports Qt or `storage` (design §2). Import submodules directly (`gru_desktop.core.train`);
this package itself imports nothing heavy, so importing it does not load torch.
"""
