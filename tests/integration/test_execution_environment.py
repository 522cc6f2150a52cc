"""The execution environment: ansible-builder finds the collection's requirements and writes a build
context for the shipped definition (``create`` needs no container engine; ``build`` would)."""
from __future__ import annotations

import os
import shutil
import subprocess

import yaml

from conftest import BIN, REPO

EXAMPLE = os.path.join(REPO, "examples", "execution-environment")


def builder(*args, cwd):
    return subprocess.run([os.path.join(BIN, "ansible-builder"), *args], cwd=cwd, capture_output=True, text=True,
                          check=True)


def runtime_requirements() -> list[str]:
    with open(os.path.join(REPO, "requirements.txt"), encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def test_introspect_finds_the_collections_python_requirements(collections_path, tmp_path):
    written = tmp_path / "requirements.txt"
    run = builder("introspect", collections_path, "--write-pip", str(written), "--write-bindep",
                  str(tmp_path / "bindep.txt"), cwd=str(tmp_path))
    found = yaml.safe_load(run.stdout.split("\n", 1)[1])
    expected = [f"{requirement}  # from collection tenantops.entra" for requirement in runtime_requirements()]
    assert found["python"] == expected
    assert found["system"] == []
    assert written.read_text(encoding="utf-8").splitlines() == expected
    assert all("<" not in requirement for requirement in runtime_requirements()), "no upper caps"


def test_create_writes_a_build_context_that_installs_the_collection(tmp_path):
    for name in os.listdir(EXAMPLE):
        shutil.copy(os.path.join(EXAMPLE, name), tmp_path / name)
    builder("create", "-f", "execution-environment.yml", "-c", "context", "--output-filename", "Containerfile",
            cwd=str(tmp_path))
    context = tmp_path / "context"
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert [c["name"] for c in galaxy["collections"]] == ["tenantops.entra"]
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile
    # The collections' requirements are gathered inside the image, then installed with pip.
    assert "introspect.py introspect" in containerfile and "pip_install" in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.12"' in containerfile
    assert "ansible-core>=2.16" in containerfile
