# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.tenantops.entra.plugins.modules import tenant_export as module
from ansible_collections.tenantops.entra.plugins.plugin_utils.tenant_action import TenantAction


class ActionModule(TenantAction):
    module = module
