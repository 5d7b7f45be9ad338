"""Where a run trains: the device choice, offered only where the training workers have a GPU.

The workers say which devices TensorFlow finds (`Engine.devices`, asked once on a worker): the page never
imports TensorFlow to find out. Without a GPU there is nothing to choose, so no control is drawn, only the
sentence saying where the run trains; the Train page and a classroom's students draw the same control.
"""

from __future__ import annotations

import streamlit as st

NO_GPU = "Device: CPU (the training workers have no GPU)."


def device_choice(engine, deep: bool) -> tuple[str, bool]:
    """(device, mixed precision) for the next run; the radio and the float16 switch only when a GPU is there."""
    if not deep:
        st.caption("Device: CPU (scikit-learn models run on the CPU).")
        return "CPU", False
    if engine.devices() is None:
        st.caption(f"Device: CPU ({engine.device_error})" if engine.device_error else
                   "Device: CPU for now (asking the training workers whether they have a GPU…).")
        return "CPU", False
    if not engine.gpu_available():
        st.caption(NO_GPU)
        return "CPU", False
    device = st.radio("Device", ["CPU", "GPU"], horizontal=True, key="device")
    mixed_precision = st.checkbox(
        "Mixed precision (float16 on the GPU)", key="mixed-precision", disabled=device != "GPU",
        help="Computes in 16-bit floats on the GPU: faster and lighter on modern GPUs, same model. "
             "Offered on a GPU only; on a CPU it would be slower.")
    return device, mixed_precision and device == "GPU"
