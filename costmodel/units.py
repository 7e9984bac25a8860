"""Unit constants. GB is 10^9 bytes everywhere in moerig (never GiB); TFLOPS is 10^12 FLOP/s."""

BYTES_PER_GB = 1e9
"""Decimal gigabyte [bytes]. Datasheets quote GB/s in this unit."""

BYTES_PER_GIB = 1024**3
"""Binary gibibyte [bytes]; llama.cpp prints model sizes in GiB. Only used to convert such figures."""

FLOPS_PER_TFLOPS = 1e12
"""FLOP/s in one TFLOPS."""

PARAMS_PER_BILLION = 1e9
"""Parameters in one billion (the request's P, A, S are in billions)."""

BITS_PER_BYTE = 8.0

ACTIVATION_BYTES_PER_ELEMENT = 4.0
"""Bytes per activation element passed between devices: llama.cpp hands f32 tensors across
backends (ggml-backend copies the layer output in the graph's type, f32)."""
