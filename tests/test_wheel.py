"""The built wheel installs one import root, `codegen_bot`, and works beside PyPI's `adapters`.

PyPI has packages named `adapters` and `refactor`; a wheel that installed our folders at the top
of site-packages would shadow them or be shadowed. Here the wheel goes into a fresh venv next to
PyPI's `adapters` (or, without the package index, a stand-in at the same place), and
`codegen demo` must run from the wheel alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (the checkout gets no build folder)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("bot", "adapters", "refactor"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    # This environment's setuptools when it can build us (pyproject asks for >= 77); otherwise
    # pip's isolated build, which fetches it from the package index as `pip install` does.
    try:
        recent = int(metadata.version("setuptools").split(".")[0]) >= 77
    except metadata.PackageNotFoundError:
        recent = False
    isolation = ["--no-build-isolation"] if recent else []
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation,
         "--wheel-dir", str(out), str(source)],
        cwd=source,
    )  # fmt: skip
    (built,) = out.glob("codegen_bot-*.whl")
    return built


def _fresh_venv(folder: Path) -> tuple[Path, Path]:
    """A venv that sees this interpreter's libraries (not its codegen) through a .pth file."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", where], folder).strip())
    # Plain path entries: the .pth files in them (this checkout's editable install) do not run.
    shared = [p for p in sys.path if p.endswith("-packages") and Path(p).is_dir()]
    (site / "_codegen_test_shared.pth").write_text("\n".join(shared) + "\n")
    return python, site


def _pip_install(python: Path, wheel: Path) -> None:
    """Install one wheel, without its dependencies, into the venv of `python`."""
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         str(wheel)],
        cwd=wheel.parent,
    )  # fmt: skip


def _install_pypi_adapters(python: Path, site: Path, download: Path) -> str:
    """PyPI's `adapters` in the venv; a stand-in at the same place when no index is reachable."""
    got = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "adapters",
         "--dest", str(download)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    wheels = sorted(download.glob("adapters-*.whl"))
    if got.returncode == 0 and wheels:
        _pip_install(python, wheels[0])
        return "pypi"
    (site / "adapters").mkdir()
    (site / "adapters" / "__init__.py").write_text('"""A stand-in for PyPI\'s adapters."""\n')
    return "stand-in"


def test_wheel_installs_one_root_and_runs_beside_pypi_adapters(wheel: Path, tmp_path: Path) -> None:
    python, site = _fresh_venv(tmp_path / "venv")
    which = _install_pypi_adapters(python, site, tmp_path / "download")
    _pip_install(python, wheel)
    top = sorted(p.name for p in site.iterdir() if not p.name.endswith((".dist-info", ".pth")))
    assert top == ["adapters", "codegen_bot"], top
    assert sorted(p.name for p in (site / "codegen_bot").iterdir()) == [
        "adapters",
        "bot",
        "refactor",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    located = _run(
        [str(python), "-c",
         "import importlib.util as u; print(u.find_spec('adapters').origin);"
         " print(u.find_spec('codegen_bot.bot.cli.main').origin)"],
        cwd=tmp_path, env=env,
    ).split()  # fmt: skip
    assert located[0] == str(site / "adapters" / "__init__.py"), which
    assert located[1] == str(site / "codegen_bot" / "bot" / "cli" / "main.py")
    demo = _run([str(python.parent / "codegen"), "demo"], cwd=tmp_path, env=env)
    assert "accepted" in demo.lower(), demo
    as_module = _run([str(python), "-m", "codegen_bot.bot.cli", "--version"], cwd=tmp_path, env=env)
    assert as_module.startswith("codegen "), as_module
