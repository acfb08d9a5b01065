"""`make bench`: every benchmark, one after the other (figures only; no pass/fail)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_index.py", "bench_routing.py", "bench_trainers.py", "bench_chat.py", "bench_retrain.py", "bench_scale.py"]

if __name__ == "__main__":
    failed = []
    for name in BENCHES:
        if (HERE / name).exists():
            print(f"\n== {name}", flush=True)
            if subprocess.call([sys.executable, str(HERE / name)], cwd=HERE.parent) != 0:
                failed.append(name)
    sys.exit(f"failed: {', '.join(failed)}" if failed else 0)
