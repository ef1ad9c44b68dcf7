"""What a served app costs while the load harness drives it: the server's CPU and memory, and the machine's CPU.

The server's process is sampled every second (psutil), together with the whole machine's busy CPU time, which
holds what the server's does not: on one machine, the browsers and the harness.
"""

import threading
import time
from typing import List, NamedTuple, Optional

import psutil


class Sample(NamedTuple):
    seconds: float  # since sampling started
    server_cpu: float  # CPU seconds of the server's process
    rss_mb: float  # its resident memory
    machine_cpu: float  # busy CPU seconds of the whole machine


def machine_busy() -> float:
    """Busy CPU seconds of every core since boot: guest time is inside user time, and steal is the hypervisor's."""
    times = psutil.cpu_times()
    return sum(getattr(times, field, 0.0) for field in ("user", "nice", "system", "irq", "softirq"))


class Server:
    """Samples a server process (``pid``; None: nothing is sampled) every second while in a ``with`` block."""

    def __init__(self, pid: Optional[int]) -> None:
        self.process = psutil.Process(pid) if pid else None
        self.samples: List[Sample] = []
        self._stop = threading.Event()
        self._start = time.monotonic()

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def sample(self) -> None:
        if self.process:
            rss = self.process.memory_info().rss / 2**20
            self.samples.append(Sample(time.monotonic() - self._start, self.cpu(), rss, machine_busy()))

    def run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def __enter__(self) -> "Server":
        self.sample()
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self.sample()
