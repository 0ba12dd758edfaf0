"""The job runtime's guard against code shipped inside model folders, installed in every Python process Whittle starts
(sitecustomize.py imports it; protocol.py checks it is in place).

A model folder can make Python libraries run its code in two ways:
- transformers' dynamic modules (`auto_map` + `trust_remote_code=True`, which llama.cpp's converter, Olive, PEFT and
  lm-eval all pass through);
- pickle checkpoints (`torch.load(..., weights_only=False)` unpickles arbitrary objects).

Both are refused, whatever a script passes, unless the user allowed that model's code in Whittle's library. The
consent arrives in WHITTLE_JOB_GUARD (JSON, set by the engine from the library, never from a job's input):
  {"models": [{"id": "...", "name": "...", "dir": "/abs/folder", "consent": null | {"files": [{"path", "kind", "sha256"}]}}]}
and is honoured only while every code file still has the digest the user saw.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

_installed = False
_DYNAMIC = "transformers.dynamic_module_utils"
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


class ModelCodeRefused(BaseException):
    """A model's own code (or a pickle) was about to run without the user's consent. A BaseException, so that a
    library's `except Exception` fallback cannot swallow the refusal and leave the user with a vaguer error."""


def _config() -> dict[str, Any]:
    raw = os.environ.get("WHITTLE_JOB_GUARD") or "{}"
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = {}
    return parsed if isinstance(parsed, dict) else {}


def _models() -> list[dict[str, Any]]:
    models = _config().get("models")
    return [m for m in models if isinstance(m, dict) and isinstance(m.get("dir"), str)] if isinstance(models, list) else []


def _real(path: Any) -> Path | None:
    try:
        return Path(os.path.realpath(os.fspath(path)))
    except (TypeError, ValueError):
        return None


def _model_for(path: Any) -> dict[str, Any] | None:
    """The library model whose folder holds `path` (or is it)."""
    p = _real(path)
    if p is None:
        return None
    for m in _models():
        root = _real(m["dir"])
        if root is not None and (p == root or root in p.parents):
            return m
    return None


def _describe(model: dict[str, Any] | None, path: Any) -> str:
    if model is None:
        return f"{path}"
    return f"{model.get('name') or model['dir']} ({model['dir']})"


def _how_to_allow(model: dict[str, Any] | None) -> str:
    if model is None or not model.get("id"):
        return "Only models in Whittle's library can be allowed to run their own code."
    mid = model["id"]
    return (
        "Review the files, then allow them for this model: `whittle models trust "
        f"{mid}` (or `whittle models convert {mid} --trust-remote-code`), or 'Allow this model's code' on its Library page."
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _python_files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__" and depth < 3]
        out.extend(Path(dirpath, n).relative_to(root).as_posix() for n in filenames if n.endswith(".py") and not n.startswith("."))
    return sorted(out)


def _require_consent(model: dict[str, Any] | None, path: Any, what: str, check: list[str]) -> None:
    """Raises unless the model's consent covers every file in `check` (relative paths) with the digest it has now."""
    consent = model.get("consent") if model else None
    if not isinstance(consent, dict):
        raise ModelCodeRefused(
            f"Refused to run code from {_describe(model, path)}: {what}. Whittle does not run a model's own code unless you "
            f"allow it for that model. {_how_to_allow(model)}"
        )
    allowed = {f.get("path"): f.get("sha256") for f in consent.get("files", []) if isinstance(f, dict)}
    root = _real(model["dir"]) if model else None
    assert root is not None
    for rel in check:
        target = root / rel
        real = _real(target)
        if real is None or (real != root and root not in real.parents):
            raise ModelCodeRefused(f"Refused to run code from {_describe(model, path)}: {rel} points outside the model folder.")
        if rel not in allowed:
            raise ModelCodeRefused(
                f"Refused to run code from {_describe(model, path)}: {rel} was not among the files you allowed. {_how_to_allow(model)}"
            )
        if not real.is_file() or _sha256(real) != allowed[rel]:
            raise ModelCodeRefused(
                f"Refused to run code from {_describe(model, path)}: {rel} changed since you allowed it (sha256 differs). {_how_to_allow(model)}"
            )


def _require_folder_code_consent(folder: Any, what: str) -> None:
    model = _model_for(folder)
    root = _real(model["dir"]) if model else None
    _require_consent(model, folder, what, _python_files(root) if root is not None and root.is_dir() else [])


def trust_remote_code_for(folder: Any) -> bool:
    """For job scripts that pass trust_remote_code to a library (Olive, PEFT, lm-eval): True only with consent."""
    try:
        _require_folder_code_consent(folder, "trust_remote_code")
    except ModelCodeRefused:
        return False
    return True


def _patch_dynamic_modules(mod: Any) -> None:
    orig_resolve = mod.resolve_trust_remote_code
    orig_get_class = mod.get_class_from_dynamic_module
    orig_cached = mod.get_cached_module_file

    @functools.wraps(orig_resolve)
    def resolve_trust_remote_code(trust_remote_code: Any, model_name: Any, has_local_code: Any, has_remote_code: Any, *args: Any, **kwargs: Any) -> Any:
        # Only an explicit True runs a folder's code. None would make transformers prompt on stdin: treat it as False,
        # so transformers uses its own classes or says the model needs trust_remote_code.
        if trust_remote_code is None:
            trust_remote_code = False
        if has_remote_code and trust_remote_code:
            upstream = kwargs.get("upstream_repo") or (args[1] if len(args) > 1 else None)
            if upstream:
                raise ModelCodeRefused(f"Refused to run code from {model_name}: it points at code in another repository ({upstream}), which Whittle never runs.")
            _require_folder_code_consent(model_name, "it asks transformers to import classes from the folder (auto_map, trust_remote_code)")
            return orig_resolve(True, model_name, has_local_code, has_remote_code, *args, **kwargs)
        return orig_resolve(trust_remote_code, model_name, has_local_code, has_remote_code, *args, **kwargs)

    @functools.wraps(orig_get_class)
    def get_class_from_dynamic_module(class_reference: str, pretrained_model_name_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        if "--" in str(class_reference):
            raise ModelCodeRefused(f"Refused to run code from {pretrained_model_name_or_path}: {class_reference} is code from another repository, which Whittle never runs.")
        _require_folder_code_consent(pretrained_model_name_or_path, f"it would import {class_reference} from the folder")
        return orig_get_class(class_reference, pretrained_model_name_or_path, *args, **kwargs)

    @functools.wraps(orig_cached)
    def get_cached_module_file(pretrained_model_name_or_path: Any, module_file: str, *args: Any, **kwargs: Any) -> Any:
        _require_folder_code_consent(pretrained_model_name_or_path, f"it would import {module_file} from the folder")
        return orig_cached(pretrained_model_name_or_path, module_file, *args, **kwargs)

    mod.resolve_trust_remote_code = resolve_trust_remote_code
    mod.get_class_from_dynamic_module = get_class_from_dynamic_module
    mod.get_cached_module_file = get_cached_module_file
    mod.__whittle_guarded__ = True


def _patch_torch(torch: Any) -> None:
    serialization = sys.modules.get("torch.serialization") or getattr(torch, "serialization", None)
    orig_load = getattr(serialization, "load", None) or torch.load
    if getattr(orig_load, "__whittle_guarded__", False):
        return

    @functools.wraps(orig_load)
    def load(f: Any, *args: Any, **kwargs: Any) -> Any:
        name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", None)
        path = name if isinstance(name, (str, os.PathLike)) else None
        model = _model_for(path) if path is not None else None
        if model is not None:
            root = _real(model["dir"])
            real = _real(path)
            assert root is not None and real is not None
            rel = real.relative_to(root).as_posix()
            if real.suffix.lower() in _PICKLE_SUFFIXES or kwargs.get("weights_only") is False:
                _require_consent(model, path, f"{rel} is a pickle checkpoint, which can run code while it loads (safetensors cannot)", [rel])
                return orig_load(f, *args, **kwargs)
        if kwargs.get("weights_only") is False:
            raise ModelCodeRefused(
                f"Refused to unpickle {path if path is not None else 'a stream'} with weights_only=False: a pickle can run any code while it loads."
            )
        # torch's restricted unpickler: tensors and plain containers only.
        kwargs["weights_only"] = True
        return orig_load(f, *args, **kwargs)

    load.__whittle_guarded__ = True  # type: ignore[attr-defined]
    torch.load = load
    if serialization is not None:
        serialization.load = load


_PATCHES: dict[str, Callable[[Any], None]] = {_DYNAMIC: _patch_dynamic_modules, "torch": _patch_torch}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, patch: Callable[[Any], None]) -> None:
        self._inner = inner
        self._patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._inner.exec_module(module)  # type: ignore[attr-defined]
        # Patched before any `from ... import` of the module completes, so importers bind the guarded functions.
        self._patch(module)


class _PatchingFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        patch = _PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


def install() -> None:
    """Idempotent. Modules imported before this (unusual: sitecustomize runs first) are patched in place."""
    global _installed
    if _installed:
        return
    _installed = True
    sys.meta_path.insert(0, _PatchingFinder())
    for name, patch in _PATCHES.items():
        mod = sys.modules.get(name)
        if mod is not None:
            patch(mod)


def installed() -> bool:
    return _installed
