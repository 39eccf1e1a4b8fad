"""Throughput and memory of ``observatory.download.download`` on a large file served from 127.0.0.1.

    .venv/bin/python benchmarks/download_throughput.py [MiB]

The download runs in a fresh process so that its peak memory (VmHWM) is its own: a streamed download of a
national file must stay flat whatever the file's size. Loopback only measures our side (writing, hashing, the
checks), not the producer's bandwidth.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from http_server import serve  # noqa: E402

CHILD = """
import sys, time
from observatory.download import download
start = time.perf_counter()
result = download(sys.argv[1], sys.argv[2], max_bytes=1 << 40, kind="binary")
seconds = time.perf_counter() - start
peak = next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmHWM"))
mib = result.size / 2**20
print(f"{mib:.0f} MiB in {seconds:.1f} s ({mib / seconds:.0f} MiB/s, sha256 included); peak memory {peak} MiB")
"""


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    body = os.urandom(1 << 20) * mib
    with serve() as server, tempfile.TemporaryDirectory() as folder:
        server.static("/big.bin", body)
        subprocess.run([sys.executable, "-c", CHILD, server.url("/big.bin"), str(Path(folder) / "big.bin")],
                       check=True)


if __name__ == "__main__":
    main()
