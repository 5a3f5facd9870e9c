"""What machine a benchmark ran on: CPU model, ISA flags that matter for int8/bf16, threads, GPU."""
from __future__ import annotations

import os
import platform

ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")


def cpu_info() -> dict:
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name") and model in ("unknown", "", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "isa": [f for f in ISA_FLAGS if f in flags],
            "python": platform.python_version(), "machine": platform.machine()}


def describe(threads: int) -> str:
    info = cpu_info()
    isa = ", ".join(info["isa"]) or "none of " + "/".join(ISA_FLAGS)
    return f"CPU: {info['cpu']} ({info['cores']} cores visible), ISA: {isa}; threads fixed at {threads}"
