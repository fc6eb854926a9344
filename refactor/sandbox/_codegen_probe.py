"""Inside the sandbox: observe example calls of each target, and ask Hypothesis's ghostwriter.

Imported by `sandbox_main.py` from its own folder; like it, it imports nothing of codegen.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

from _codegen_coverage import quiet_hypothesis, summarize_coverage
from _codegen_guard import Guard, TestTimeout


def run_probe(spec: dict[str, Any], guard: Guard) -> dict[str, Any]:
    """Import each target, run its example calls twice under the guard, and write property tests."""
    import coverage  # noqa: PLC0415

    quiet_hypothesis()
    probe = spec["probe"]
    results: dict[str, Any] = {}
    cov = coverage.Coverage(
        data_file=str(Path(spec["out"]) / ".coverage"),
        branch=True,
        include=spec.get("cover") or ["__none__"],
        config_file=False,
    )
    cov.start()
    try:
        _probe_targets(probe, results, guard, cov)
    finally:
        cov.stop()
        cov.save()
    return {
        "targets": results,
        "violations": guard.violations,
        "coverage": summarize_coverage(cov, spec.get("cover", [])),
    }


def _probe_targets(probe: dict[str, Any], results: dict[str, Any], guard: Guard, cov: Any) -> None:
    import importlib  # noqa: PLC0415

    for target in probe["targets"]:
        key = target["key"]
        entry: dict[str, Any] = {"examples": [], "property": None, "error": None}
        results[key] = entry
        try:
            with guard.owning(f"import:{key}", probe["timeout"]):
                module = importlib.import_module(target["module"])
                obj: Any = module
                for part in target["qualname"].split("."):
                    obj = getattr(obj, part)
                head = target["qualname"].split(".")[0]
                namespace = {head: getattr(module, head)}
                for name, (source, attribute) in target.get("names", {}).items():
                    found = importlib.import_module(source) if source else module
                    namespace[name] = getattr(found, attribute) if attribute else found
        except (Exception, TestTimeout) as error:
            entry["error"] = f"cannot import {target['module']}: {type(error).__name__}: {error}"
            continue
        for call in target["calls"]:
            cov.switch_context(f"call:{key}:{call}")
            try:
                entry["examples"].append(
                    _observe(call, namespace, module, guard, key=key, timeout=probe["timeout"])
                )
            finally:
                cov.switch_context("")
        if target.get("ghostwriter"):
            entry["property"] = _ghostwrite(
                obj, module, target["ghostwriter"], guard, key=key, timeout=probe["timeout"]
            )


def _observe(
    call: str, namespace: dict[str, Any], module: Any, guard: Guard, *, key: str, timeout: float
) -> dict[str, Any]:
    """Evaluate `call` twice; keep a result that is a literal and the same both times."""
    owner = f"call:{key}:{call}"
    seen: list[tuple[str, str]] = []
    for _ in range(2):
        try:
            with guard.owning(owner, timeout):
                value = eval(
                    call, {"__builtins__": __builtins__, **namespace}
                )  # the sandbox is why this is fine
            seen.append(("value", _literal(value)))
        except TestTimeout:
            return {"call": call, "problem": f"did not finish within {timeout:g}s"}
        except Exception as error:
            seen.append(("raises", _exception_name(error, module)))
    problems = guard.violations.pop(owner, [])
    if problems:
        return {"call": call, "problem": problems[0]}
    if seen[0] != seen[1]:
        return {"call": call, "problem": "returned different results on two calls"}
    kind, text = seen[0]
    if kind == "value" and text == "":
        return {"call": call, "problem": "returned a value that is not a Python literal"}
    return {"call": call, kind: text}


def _literal(value: object) -> str:
    """`repr(value)` when it reads back as an equal value of the same type, else ``""``."""
    text = repr(value)
    if len(text) > 300:
        return ""
    try:
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""
    if type(back) is not type(value):
        return ""
    if isinstance(value, float) and math.isnan(value):  # NaN never equals itself
        return ""
    return text if back == value else ""


def _exception_name(error: BaseException, module: Any) -> str:
    """The exception's name when a test can name it: a builtin, or a name in the module."""
    kind = type(error)
    import builtins  # noqa: PLC0415

    if getattr(builtins, kind.__name__, None) is kind:
        return kind.__name__
    if getattr(module, kind.__name__, None) is kind:
        return f"{module.__name__}.{kind.__name__}"
    return ""


def _ghostwrite(
    obj: Any, module: Any, options: dict[str, Any], guard: Guard, *, key: str, timeout: float
) -> dict[str, Any]:
    try:
        from hypothesis.extra import ghostwriter  # noqa: PLC0415
    except ImportError as error:
        return {"problem": f"Hypothesis's ghostwriter is not available: {error}"}
    import builtins  # noqa: PLC0415

    except_ = tuple(
        found
        for name in options.get("except", [])
        if isinstance(found := getattr(builtins, name, None) or getattr(module, name, None), type)
        and issubclass(found, Exception)
    )
    try:
        with guard.owning(f"ghostwrite:{key}", timeout * 5):
            text = ghostwriter.magic(obj, except_=except_, style=options.get("style", "pytest"))
    except (Exception, TestTimeout) as error:
        return {"problem": f"the ghostwriter failed: {type(error).__name__}: {error}"}
    if "st.nothing()" in text:
        return {"problem": "the parameter types do not say what values to generate"}
    return {"text": text}
