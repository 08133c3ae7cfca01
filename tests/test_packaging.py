"""The wheel: built from the tree, installed into a fresh virtualenv outside the
repository, it runs `depllc --version` and ships the stylesheets.

How the fresh venv gets its dependencies, fast and offline: it is created without
pip (`venv --without-pip`, ~50 ms), and one `.pth` file in its site-packages appends
the project venv's site-packages to `sys.path`. Then the project venv's pip installs
the wheel *into the fresh venv* (`pip --python <fresh python> install --no-deps`).
So the fresh venv holds exactly one distribution of its own, depllc-console from the
wheel, which shadows the editable install (the editable `.pth` of the project venv
is not processed there: `.pth` files only run in site directories). Nothing is
downloaded and nothing is shared with the repository: the commands run from a
temporary directory, and the test checks that `core` is imported from the wheel.
`--system-site-packages` would not help (the deps are not in the system Python).
"""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from core import __version__

ROOT = Path(__file__).resolve().parents[1]

# one worker runs this module (its module-scoped fixtures are built once: make test
# distributes the other tests one by one, --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-1500:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (hatchling) comes from the project venv
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, ROOT, cwd=out)
    (built,) = out.glob("depllc_console-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    assert ROOT not in venv.parents
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv.parent
    ).stdout.strip()
    deps = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    (Path(purelib) / "_depllc_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel, cwd=venv.parent,
    )  # fmt: skip
    return venv


def test_the_wheel_holds_the_packages_and_styles(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("core/__init__.py", "tui/app.py", "styles/__init__.py", "styles/app.tcss"):
        assert expected in names
    assert not [n for n in names if n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "depllc = tui.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_runs_version(fresh_venv: Path, tmp_path: Path) -> None:
    result = _run(fresh_venv / "bin" / "depllc", "--version", cwd=tmp_path)
    assert result.stdout.strip() == f"depllc {__version__}"


def test_installed_wheel_loads_the_styles(fresh_venv: Path, tmp_path: Path) -> None:
    program = (
        "import importlib.resources, core, styles\n"
        "from textual.css.stylesheet import Stylesheet\n"
        "from tui.app import DepllcApp\n"
        "sheet = importlib.resources.files('styles').joinpath('app.tcss')\n"
        "assert sheet.is_file()\n"
        "assert str(sheet) in DepllcApp.CSS_PATH, DepllcApp.CSS_PATH\n"
        "from core.config import Settings\n"
        "app = DepllcApp(Settings.model_validate({'sandbox': True}))\n"
        "parsed = Stylesheet(variables=app.get_css_variables())\n"
        "parsed.add_source(sheet.read_text(), read_from=(str(sheet), ''))\n"
        "parsed.parse()\n"
        "print(core.__file__)\n"
        "print(len(parsed.rules))\n"
    )
    result = _run(fresh_venv / "bin" / "python", "-c", program, cwd=tmp_path)
    core_file, rules = result.stdout.split()
    assert Path(core_file).is_relative_to(fresh_venv)  # the wheel's copy, not the tree's
    assert int(rules) > 0


# The lean production install: the wheel with its own dependencies only (no `sandbox`
# extra), resolved by uv from the package index into a clean venv, as `pip install
# depllc-console` or `uv tool install` would on a server. uv's cache keeps it to seconds.
UV = Path(sys.executable).with_name("uv")


@pytest.fixture(scope="module")
def lean_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("lean") / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=venv.parent)
    _run(
        UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel, cwd=venv.parent
    )
    return venv


def _connected_env(tmp_path: Path) -> dict[str, str]:
    """A connected account that answers nowhere: nothing is reached, nothing hangs."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEPLLC_CONFIG_DIR": str(tmp_path / "config"),
        "DEPLLC_STATE_DIR": str(tmp_path / "state"),
        "MONGODB_URI": "mongodb://127.0.0.1:9/depllc?serverSelectionTimeoutMS=300",
        "AWS_S3_BUCKET": "lean-bucket",
        "AWS_SES_FROM_EMAIL": "noreply@example.com",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }


def test_lean_install_has_no_sandbox_stack(lean_venv: Path, tmp_path: Path) -> None:
    python = lean_venv / "bin" / "python"
    probe = (
        "import importlib.util as u\n"
        "print([m for m in ('moto', 'mongomock', 'flask') if u.find_spec(m)])"
    )
    assert _run(python, "-c", probe, cwd=tmp_path).stdout.strip() == "[]"


def test_lean_install_runs_connected_commands(lean_venv: Path, tmp_path: Path) -> None:
    depllc = lean_venv / "bin" / "depllc"
    env = _connected_env(tmp_path)
    assert "usage: depllc" in _run(depllc, "--help", cwd=tmp_path).stdout
    shown = subprocess.run(
        [depllc, "config", "show"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "lean-bucket" in shown.stdout
    doctor = subprocess.run(
        [depllc, "doctor"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    # Nothing answers, so checks fail (exit 1) and say so, line by line: no traceback.
    assert doctor.returncode == 1, doctor.stderr
    assert "MongoDB" in doctor.stdout
    assert "Traceback" not in doctor.stdout + doctor.stderr


def test_lean_install_sandbox_says_how_to_get_it(lean_venv: Path, tmp_path: Path) -> None:
    env = _connected_env(tmp_path)
    for args in (["--sandbox", "logs"], ["--sandbox"]):
        result = subprocess.run(
            [lean_venv / "bin" / "depllc", *args],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "pip install 'depllc-console[sandbox]'" in lines[0]
