"""A pull request is an attacker: each attack of issue 11 performed against a real `codegen`.

The pull request's code runs in a real subprocess of a real `codegen` process that holds a
token in its environment, the way the Action's step does. Each attack must fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen_bot.refactor.sandbox.process import detect_isolation
from tests.bot.tests_task_repo import BASE, BASE_TEST, PYPROJECT, THREE_NEW, TOKEN

BWRAP = detect_isolation()
needs_bwrap = pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)

#: A conftest that reads GITHUB_TOKEN from every process it can see (its parent first) and
#: writes it outside the workspace.
STEAL = """\
import os

def _steal(out):
    pids = [str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            data = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        for item in data.split(b"\\0"):
            if item.startswith(b"GITHUB_TOKEN="):
                with open(out, "wb") as sink:
                    sink.write(item)
                return

try:
    _steal(%r)
except OSError:
    pass
"""


#: The shop's pyproject.toml without codegen's table: the settings live in `.codegen.toml`.
PLAIN = PYPROJECT.split("[tool.codegen")[0]
#: What the pull request's `.codegen.toml` asks for.
ATTACK = 'tasks = ["tests"]\n\n[tests]\nruns = 2\nisolation = "none"\n'


def codegen(*args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    """Run the real `codegen` in a subprocess whose environment holds `token`."""
    env = {**os.environ, "GITHUB_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "codegen_bot.bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def attack_repo(make_repo, stolen: Path, base_config: dict[str, str]):
    """A base the maintainers merged, and a pull request that turns its own sandbox off."""
    repo = make_repo()
    base = repo.commit(
        {
            "pyproject.toml": PLAIN,
            "shop/__init__.py": "",
            "shop/money.py": BASE,
            "tests/test_money.py": BASE_TEST,
            **base_config,
        },
        "base",
    )
    repo.commit(
        {
            "shop/money.py": BASE + THREE_NEW,
            ".codegen.toml": ATTACK,
            "conftest.py": STEAL % str(stolen),
        },
        "a pull request that switches off its own sandbox",
    )
    return repo, base


@pytest.mark.parametrize("base_tasks", ["none", "tests"])
def test_a_pull_request_cannot_switch_off_its_own_sandbox(
    make_repo, tmp_path: Path, base_tasks: str
) -> None:
    """Attack 1: `.codegen.toml` with `isolation = "none"` and a token-stealing conftest."""
    stolen = tmp_path / "stolen-token"
    base_config = {".codegen.toml": 'tasks = ["tests"]\n[tests]\nruns = 2\n'}
    if base_tasks == "none":
        base_config = {}
    if base_tasks == "tests" and not BWRAP.isolated:
        pytest.skip(BWRAP.detail)
    repo, base = attack_repo(make_repo, stolen, base_config)
    done = codegen("review", "--repo", str(repo.path), "--base", base, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert not stolen.exists(), "the pull request's conftest stole the token"
    assert TOKEN not in done.stdout + done.stderr
    notes = "\n".join(report["notes"])
    assert "this pull request changes codegen's configuration; the changes apply once merged" in (
        notes
    )
    if base_tasks == "none":  # the base's settings: docs only, so no code of the PR ran
        assert report["tasks"] == ["docs"]
    else:  # the base asks for tests: they ran, under bubblewrap
        assert report["tasks"] == ["tests"] and "tests ran under" in notes
        assert any(p["task"] == "tests" for p in report["proposals"])


@needs_bwrap
def test_isolation_none_in_the_base_is_ignored_with_a_note(make_repo, tmp_path: Path) -> None:
    """Even the maintainers' file cannot lower isolation: only the runner's operator can."""
    stolen = tmp_path / "stolen-token"
    config = ATTACK.replace("runs = 2", "runs = 3")  # the PR changes it, too
    repo, base = attack_repo(make_repo, stolen, {".codegen.toml": config})
    done = codegen("review", "--repo", str(repo.path), "--base", base, "--format", "json")
    assert done.returncode == 0, done.stderr
    notes = "\n".join(json.loads(done.stdout)["notes"])
    assert '`tests.isolation = "none"` is ignored' in notes and "tests ran under" in notes
    assert not stolen.exists()


def test_the_operator_cannot_lower_isolation_while_holding_a_token(tmp_path: Path) -> None:
    """`codegen action` (mode both) with a token refuses `--isolation none`, in one line."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "opened"}), encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen_bot.bot.cli",
            "action",
            "--isolation",
            "none",
            "--repo",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/shop"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "--isolation none while this process holds" in (
        done.stderr
    )
    assert TOKEN not in done.stderr


def test_an_unbalanced_quote_in_test_command_is_one_line_and_exit_2(make_repo) -> None:
    repo = make_repo()
    config = 'tasks = ["tests"]\ntest_command = "pytest -k \'money"\n'
    base = repo.commit({".codegen.toml": config, "m.py": "x = 1\n"}, "base")
    repo.commit({"m.py": "def f(x: int) -> int:\n    return x\n"}, "head")
    done = codegen("review", "--repo", str(repo.path), "--base", base)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "`tool.codegen.test_command` is not a command line: No closing quotation" in (
        done.stderr
    )


def test_links_out_of_the_repository_are_left_out_of_the_copy(make_repo, tmp_path: Path) -> None:
    """An absolute link (and one up past the root) in the pull request: a clean note, no crash."""
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host secret", encoding="utf-8")
    repo = make_repo()
    base = repo.commit(
        {
            "pyproject.toml": PLAIN,
            ".codegen.toml": 'tasks = ["tests"]\n[tests]\nruns = 2\n',
            "shop/__init__.py": "",
            "shop/money.py": BASE,
            "tests/test_money.py": BASE_TEST,
        },
        "base",
    )
    (repo.path / "shop" / "data.txt").symlink_to(secret)
    (repo.path / "shop" / "up.txt").symlink_to("../../../../../../../../etc/hostname")
    head = repo.commit({"shop/money.py": BASE + THREE_NEW}, "links")
    assert head
    done = codegen("review", "--repo", str(repo.path), "--base", base, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    notes = "\n".join(report["notes"])
    assert "left out of the copy: links that point outside the repository" in notes
    assert "`shop/data.txt`" in notes and "`shop/up.txt`" in notes
    assert "host secret" not in done.stdout
    assert any(p["task"] == "tests" for p in report["proposals"])


#: What both attackers try, as Python source: read the markers, the environment of pid 1, a host
#: socket, and write outside their copy. Evaluates to one string saying how each attempt went.
ATTEMPTS = """\
def attempts(markers, sock, outside):
    import socket
    seen = []
    for path in [*markers, "/proc/1/environ"]:
        try:
            with open(path, "rb") as handle:
                seen.append(handle.read(200).decode(errors="replace"))
        except OSError as error:
            seen.append(type(error).__name__)
    try:
        client = socket.socket(socket.AF_UNIX)
        client.connect(sock)
        seen.append("connected")
    except OSError as error:
        seen.append(type(error).__name__)
    try:
        with open(outside, "w") as handle:
            handle.write("x")
        seen.append("wrote")
    except OSError as error:
        seen.append(type(error).__name__)
    return ";".join(seen)
"""


@needs_bwrap
def test_a_generated_test_and_a_repository_function_see_nothing_of_the_host(
    make_repo, tmp_path: Path
) -> None:
    """Attack 2: both try the runner's files, pid 1's environment, a socket, a write outside."""
    import socket
    import tempfile

    from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
    from tests.bot.test_tests_rejections import StubEngine

    marker = f"codegen-marker-{os.getpid()}-{tmp_path.name}"
    secret = f"host secret {os.urandom(8).hex()}"  # what the marker files hold
    work_folder = Path(__file__).resolve().parents[2]
    planted = [
        Path.home() / f".{marker}",
        Path(tempfile.gettempdir()) / marker,
        work_folder / f".{marker}",
    ]
    sock, outside = work_folder / f".{marker[-12:]}.sock", work_folder / f".{marker}.out"
    arguments = f"({[str(p) for p in planted]!r}, {str(sock)!r}, {str(outside)!r})"
    peek = (
        f"{ATTEMPTS}\n\ndef peek() -> str:\n    return attempts{arguments}\n\n\n"
        "def leak() -> str:  # reads only: the probe turns what it returns into an assertion\n"
        f"    found = []\n    for path in {[str(p) for p in planted]!r}:\n"
        "        try:\n            found.append(open(path).read()[:120])\n"
        "        except OSError as error:\n            found.append(type(error).__name__)\n"
        "    return ';'.join(found)\n"
    )
    everything = f"{ATTEMPTS}\n\ndef test_attempts():\n    assert attempts{arguments} == ''\n"
    reads = (  # only reads, which the guard lets through: the sandbox alone stops them
        f"def test_peek():\n    seen = []\n    for path in {[str(p) for p in planted]!r}:\n"
        "        try:\n            seen.append(open(path).read())\n"
        "        except OSError as error:\n            seen.append(type(error).__name__)\n"
        "    assert seen == ['FileNotFoundError'] * 3\n"
    )
    repo = make_repo()
    base = repo.commit(
        {
            "pyproject.toml": PLAIN,
            ".codegen.toml": 'tasks = ["tests"]\n[tests]\nruns = 2\n',
            "shop/__init__.py": "",
            "shop/money.py": BASE,
            "tests/test_money.py": BASE_TEST,
        },
        "base",
    )
    repo.commit(
        {
            "shop/peek.py": peek,
            "shop/use.py": "from shop.peek import leak, peek\nX = peek()\nY = leak()\n",
        }
    )
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.listen()
    server.settimeout(0.1)
    try:
        for path in planted:
            path.write_text(secret, encoding="utf-8")
        heuristic = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), make_heuristic)
        stub = review(
            ReviewRequest(str(repo.path), base, tasks=("tests",)),
            lambda options: StubEngine({"peek": reads, "attempts": everything}),
        )
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()
        for path in [*planted, sock]:
            path.unlink(missing_ok=True)
    assert not outside.exists()
    for report in (heuristic, stub):
        assert secret not in report.to_json(), "a host file reached the report"
        assert TOKEN not in report.to_json()
    refused = next(p for p in heuristic.proposals if p.symbol == "peek")
    assert "reads another process's environment (/proc/1/environ)" in (refused.reason or "")
    leaked = next(p for p in heuristic.proposals if p.symbol == "leak")
    assert "FileNotFoundError;FileNotFoundError;FileNotFoundError" in (leaked.patch or "")
    read = next(p for p in stub.proposals if p.symbol == "peek")
    # It passed its runs (every read failed), then fell at coverage: it does not call `peek`.
    assert (read.reason or "").startswith("coverage: "), read.reason
    tried = next(p for p in stub.proposals if p.symbol == "attempts")
    assert tried.status == "rejected"


def make_heuristic(options):
    """The heuristic engine, whose probe turns what `peek()` returns into an assertion."""
    from codegen_bot.adapters.engines.registry import build_engine

    return build_engine("heuristic", options)


def test_a_config_file_the_repository_tracks_is_read_from_the_base(make_repo) -> None:
    """`--config ci.toml` inside the checkout: the base's version, not the pull request's."""
    repo = make_repo()
    base = repo.commit({"ci.toml": "max_suggestions = 1\n", "m.py": "x = 1\n"}, "base")
    changes = {"ci.toml": 'max_suggestions = 1\n[tests]\nisolation = "none"\n', "n.toml": "x=1\n"}
    repo.commit({**changes, "m.py": "def f(a: int) -> int:\n    return a\n"}, "head")
    config = repo.path / "ci.toml"
    done = codegen(
        "review", "--repo", str(repo.path), "--base", base, "--config", str(config),
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["notes"] == []  # the head's `isolation = "none"`: never read
    assert config.read_text().endswith('isolation = "none"\n')  # though it is on disk
    added = codegen(
        "review", "--repo", str(repo.path), "--base", base, "--config", str(repo.path / "n.toml")
    )
    assert added.returncode == 2 and added.stderr.count("\n") == 1
    assert "is not in the base commit" in added.stderr
