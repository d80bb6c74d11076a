"""What the wheel ships, checked against pyproject.toml without building it (.ci/run builds
and installs the wheel and runs `xlkit templates` and `xlkit demo` from it).

- every folder of Python under xlkit/ is a package listed in [tool.setuptools] packages;
- every data file beside a package's modules (a spec, the built-in rules, the demo's sample
  inputs and key) matches that package's package-data globs;
- the example outputs samples/issued/ and samples/returns/ are not packages, so they stay out.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
PACKAGES = CONFIG["packages"]
#: Files beside a package's modules that the wheel deliberately leaves out.
NOT_SHIPPED = {"samples/README.md"}


def package_dir(package: str) -> Path:
    mapped = CONFIG.get("package-dir", {})
    if package in mapped:
        return ROOT / mapped[package]
    return ROOT.joinpath(*package.split("."))


def test_every_folder_of_python_is_a_listed_package():
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "xlkit").rglob("__init__.py")}
    assert found - set(PACKAGES) == set(), "add them to [tool.setuptools] packages"
    for folder in (ROOT / "xlkit").rglob("*.py"):
        assert (folder.parent / "__init__.py").exists(), f"{folder}: its folder is no package"


def test_every_data_file_is_package_data():
    globs = CONFIG.get("package-data", {})
    missing = []
    for package in PACKAGES:
        where = package_dir(package)
        assert (where / "__init__.py").exists(), package
        patterns = [*globs.get(package, []), *globs.get("*", [])]
        for f in where.iterdir():
            name = f.relative_to(ROOT).as_posix()
            if (f.is_dir() or f.suffix in (".py", ".pyc") or f.name.startswith(".")
                    or name in NOT_SHIPPED):
                continue
            if not any(fnmatch.fnmatch(f.name, p) for p in patterns):
                missing.append(name)
    assert missing == [], "add them to [tool.setuptools.package-data] (or to NOT_SHIPPED)"


def test_the_demo_inputs_ship_and_the_example_outputs_do_not():
    samples = package_dir("xlkit.samples")
    patterns = CONFIG["package-data"]["xlkit.samples"]
    for name in ("预算清单.xlsx", "绩效目标.xlsx", "决算_项目支出.xlsx", "决算_收入支出决算表.xlsx",
                 "示例密钥.txt"):
        assert (samples / name).is_file() and any(fnmatch.fnmatch(name, p) for p in patterns)
    for folder in ("issued", "returns"):
        assert not (samples / folder / "__init__.py").exists()
        assert all("/" not in p and "**" not in p for p in patterns)
