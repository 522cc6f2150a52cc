"""National clouds: which login, Graph and Exchange hosts, and which token audiences, each one uses.

Sources: https://learn.microsoft.com/graph/deployments (Graph deployments) and the ConnectionUri hosts of
https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline (that the
adminapi host follows them is an inference, not verified by Microsoft).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    login: str
    graph: str
    exchange: str

    @property
    def graph_scope(self) -> str:
        return self.graph + "/.default"

    @property
    def exchange_scope(self) -> str:
        return self.exchange + "/.default"


CLOUDS = {
    "public": Cloud("public", "https://login.microsoftonline.com", "https://graph.microsoft.com",
                    "https://outlook.office365.com"),
    "usgov": Cloud("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us",
                   "https://outlook.office365.us"),
    "usgov_dod": Cloud("usgov_dod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
                       "https://webmail.apps.mil"),
    "china": Cloud("china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn",
                   "https://partner.outlook.cn"),
}

# What AWX's Azure credential (AZURE_CLOUD_ENVIRONMENT) and the Azure CLI call the same clouds.
CLOUD_ALIASES = {
    "azurecloud": "public",
    "azurepubliccloud": "public",
    "azureusgovernment": "usgov",
    "azureusgovernmentcloud": "usgov",
    "azurechinacloud": "china",
}


def resolve_cloud(name: str | None) -> Cloud:
    key = cloud_key(name)
    if key not in CLOUDS:
        raise ValueError(f"unknown cloud {name!r}; choose one of {', '.join(CLOUDS)}")
    return CLOUDS[key]


# Settings that not every national cloud has: Graph property or policy name -> the clouds whose v1.0
# schema has it (Microsoft's v1.0 CSDL for the public cloud, US Gov "Fairfax" and China "Mooncake";
# the two US Gov clouds share one).  A setting not listed exists in every cloud.
CLOUDS_BY_SETTING = {
    "allowedCloudEndpoints": ("public",),
    "tenantRestrictions": ("public",),
    "m365CollaborationInbound": ("public",),
    "m365CollaborationOutbound": ("public",),
    "appServiceConnectInbound": ("public",),
    "authenticationFlowsPolicy": ("public", "china"),
    "authenticationMethodsPolicy": ("public", "usgov", "usgov_dod"),
}


def cloud_key(name: str | None) -> str:
    """The canonical key of a cloud name or alias (``None`` is the public cloud); unknown names unchanged."""
    key = (name or "public").strip().lower()
    return CLOUD_ALIASES.get(key, key)


def cloud_has(setting: str, cloud: str | None) -> bool:
    """Whether ``cloud`` (a name or alias, ``None`` for public) has the Graph ``setting``."""
    return cloud_key(cloud) in CLOUDS_BY_SETTING.get(setting, tuple(CLOUDS))


def unavailable_reason(setting: str, cloud: str | None) -> str | None:
    """Why ``setting`` cannot be used in ``cloud`` (an input error's message), or None when it can."""
    if cloud_has(setting, cloud):
        return None
    return f"not available in the {cloud_key(cloud)} cloud: its Microsoft Graph has no {setting}"
