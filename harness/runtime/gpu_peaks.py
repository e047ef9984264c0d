"""Dense bf16 tensor-core peaks by card, for MFU by the field's convention (model FLOPs / (time x spec peak)).

    python -m harness.runtime.gpu_peaks "NVIDIA H100 80GB HBM3"     # -> H100 SXM 989.4

Why a table: a matmul peak measured in the run (796 TFLOP/s on an H200) sits below the datasheet's, so MFU against it
reads ~24% higher than MFU as papers report it. Figures are NVIDIA's datasheet bf16 tensor-core TFLOP/s *without*
sparsity (the datasheets print the 2:4-sparse figure, twice these): H100 SXM 1,979 / PCIe 1,513 / NVL 1,671 (H100
datasheet); H200 SXM 1,979 / H200 NVL 1,671 (H200 datasheet); A100 312 dense (A100 datasheet, SXM and PCIe alike);
L40S 733 sparse (L40S datasheet); A10 250 sparse (A10 datasheet). The A10G is AWS's variant of the A10 and has no
NVIDIA datasheet: the A10's figure is used, unverified. Names are torch.cuda.get_device_name()'s; the most specific
pattern is tried first (an "H100 NVL" must not match plain "H100").
"""
from __future__ import annotations

import sys

# (substring of the device name, lower case; label; dense bf16 TFLOP/s); order matters: specific before generic
SPEC_BF16_TFLOPS: list[tuple[str, str, float]] = [
    ("h200 nvl", "H200 NVL", 835.5),
    ("h200", "H200 SXM", 989.4),
    ("h100 nvl", "H100 NVL", 835.5),
    ("h100 pcie", "H100 PCIe", 756.5),
    ("h100", "H100 SXM", 989.4),      # "NVIDIA H100 80GB HBM3" is the SXM card
    ("a100", "A100", 312.0),
    ("l40s", "L40S", 362.05),
    ("a10g", "A10G (A10 figure)", 125.0),
    ("a10", "A10", 125.0),
]


def spec_peak(device_name: str | None) -> tuple[str, float] | None:
    """(label, dense bf16 TFLOP/s) of the card named `device_name`, or None for a card not in the table (a CPU)."""
    name = (device_name or "").lower()
    for pattern, label, tflops in SPEC_BF16_TFLOPS:
        if pattern in name:
            return label, tflops
    return None


if __name__ == "__main__":
    print(spec_peak(" ".join(sys.argv[1:])))
