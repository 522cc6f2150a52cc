"""Make the working tree importable as ``ansible_collections.tenantops.entra`` (for unit tests)."""
from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(REPO, ".tenantops")


def link_working_tree() -> str:
    """Return a folder holding ``ansible_collections/tenantops/entra`` -> the working tree."""
    root = os.path.join(WORK, "tree")
    link = os.path.join(root, "ansible_collections", "tenantops", "entra")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    if root not in sys.path:
        sys.path.insert(0, root)
    return root
