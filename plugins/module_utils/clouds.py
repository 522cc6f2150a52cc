"""National clouds: which login, Graph and Exchange hosts, and which token audiences, each one uses.

Sources: FACTS section 5 (Graph deployments) and section 4 (Exchange ConnectionUri hosts; that the
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
    key = (name or "public").strip().lower()
    key = CLOUD_ALIASES.get(key, key)
    if key not in CLOUDS:
        raise ValueError(f"unknown cloud {name!r}; choose one of {', '.join(CLOUDS)}")
    return CLOUDS[key]
