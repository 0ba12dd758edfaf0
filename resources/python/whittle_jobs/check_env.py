"""Verifies the toolchain environment: every installed distribution's files are on disk (its RECORD), and, with
--imports, that the packages Whittle uses import, with their versions and ONNX Runtime's execution providers."""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import platform
import sys
import time

from . import protocol

# import name -> distribution name
MODULES = {
    "numpy": "numpy",
    "torch": "torch",
    "safetensors": "safetensors",
    "sentencepiece": "sentencepiece",
    "tokenizers": "tokenizers",
    "transformers": "transformers",
    "accelerate": "accelerate",
    "peft": "peft",
    "datasets": "datasets",
    "gguf": "gguf",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "onnxruntime_genai": "onnxruntime-genai",
    "olive": "olive-ai",
}


def broken_distributions() -> list[dict]:
    broken = []
    for dist in md.distributions():
        missing = []
        for f in dist.files or []:
            if f.suffix == ".pyc" or "__pycache__" in f.parts:
                continue
            if not f.locate().exists():
                missing.append(str(f))
        if missing:
            broken.append({"name": dist.metadata["Name"], "version": dist.version, "missing": len(missing), "examples": missing[:3]})
    return broken


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--imports", action="store_true", help="also import every package (slow: Olive takes seconds)")
    args = parser.parse_args()

    protocol.progress(None, "Checking installed files", force=True)
    dists = sorted(((d.metadata["Name"], d.version) for d in md.distributions()), key=lambda x: x[0].lower())
    broken = broken_distributions()
    versions = {}
    for dist in MODULES.values():
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            versions[dist] = None

    imports = []
    providers = None
    if args.imports:
        for i, (module, dist) in enumerate(MODULES.items()):
            protocol.progress(i / len(MODULES), f"Importing {module}", force=True)
            started = time.monotonic()
            try:
                importlib.import_module(module)
                imports.append({"module": module, "dist": dist, "ok": True, "error": None, "seconds": round(time.monotonic() - started, 2)})
            except BaseException as err:  # noqa: BLE001 - a broken package can raise anything, SystemExit included
                imports.append({"module": module, "dist": dist, "ok": False, "error": f"{type(err).__name__}: {err}"[:500], "seconds": round(time.monotonic() - started, 2)})
        try:
            import onnxruntime

            providers = onnxruntime.get_available_providers()
        except BaseException:  # noqa: BLE001
            providers = None

    protocol.result(
        python=platform.python_version(),
        executable=sys.executable,
        baseExecutable=getattr(sys, "_base_executable", sys.executable),
        distributions=len(dists),
        versions=versions,
        broken=broken,
        imports=imports,
        onnxruntimeProviders=providers,
    )


if __name__ == "__main__":
    protocol.run(main)
