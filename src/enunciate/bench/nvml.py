"""GPU energy and utilisation from NVML (nvidia-ml-py), read around a measured stretch of work.

Energy is the board's cumulative counter (nvmlDeviceGetTotalEnergyConsumption, millijoules since
the driver loaded; Volta and newer), read before and after, so it is the whole card's energy over
the stretch, idle power included. Utilisation is sampled every 20 ms in a thread. Without NVML
(no GPU, no nvidia-ml-py) the meter reads None rather than a guessed number.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class GpuReading:
    energy_j: float | None = None
    util_pct: float | None = None      # mean of the samples: share of time a kernel was running
    power_w: float | None = None       # energy / wall
    samples: list[int] = field(default_factory=list, repr=False)


class GpuMeter:
    """with GpuMeter(index) as m: work(); m.reading -> GpuReading."""

    def __init__(self, index: int = 0, interval_s: float = 0.02):
        self.reading = GpuReading()
        self.interval_s = interval_s
        self._handle = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        except Exception:  # no library, no driver, no GPU: nothing to read
            self._handle = None

    @property
    def available(self) -> bool:
        return self._handle is not None

    def _energy_mj(self) -> int | None:
        try:
            return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))
        except Exception:
            return None

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.reading.samples.append(int(self._nvml.nvmlDeviceGetUtilizationRates(self._handle).gpu))
            except Exception:
                return
            self._stop.wait(self.interval_s)

    def __enter__(self) -> "GpuMeter":
        if self.available:
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._start_mj, self._t0 = self._energy_mj(), time.perf_counter()
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if not self.available:
            return
        end_mj, wall = self._energy_mj(), time.perf_counter() - self._t0
        self._stop.set()
        self._thread.join()
        r = self.reading
        if end_mj is not None and self._start_mj is not None:
            r.energy_j = (end_mj - self._start_mj) / 1000
            r.power_w = r.energy_j / wall if wall > 0 else None
        if r.samples:
            r.util_pct = sum(r.samples) / len(r.samples)
