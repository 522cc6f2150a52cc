# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    # Modules that change a tenant.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the predicted after-state without writing anything.
    support: full
  diff_mode:
    description: Returns the before and after of the managed settings in diff mode (never a secret).
    support: full
  action_group:
    description: Use C(group/tenantops.entra.graph) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tenantops.entra.graph
"""

    # Modules that only read.
    INFO = r"""
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is nothing to diff.
    support: none
  action_group:
    description: Use C(group/tenantops.entra.graph) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - tenantops.entra.graph
"""
