"""Graph policy singletons: crossTenantAccessPolicy (root and default), authorizationPolicy,
the email OTP authentication method configuration and authenticationFlowsPolicy.

State lives in ``tenant.policies`` in Graph's JSON shape (no ``@odata.context``), keyed
``crossTenantAccessPolicy``, ``default``, ``authorizationPolicy``, ``email`` and
``authenticationFlowsPolicy``.  Fresh values are what each object's Graph reference page shows a new tenant answer
(e.g. https://learn.microsoft.com/graph/api/crosstenantaccesspolicyconfigurationdefault-get); the choices where the docs
are silent are in sandbox/README.md, "Fidelity choices".
"""
from __future__ import annotations

import copy
import json

from sandbox.core import GUID_RE, Request, Response, Tenant, bad_request, route
from sandbox.graph import audit
from sandbox.graph.odata import entity_response_body
from sandbox.schema import check_cross_tenant_policy_size, validate_body

READ_ALL = "Policy.Read.All"
RW_CROSS_TENANT = "Policy.ReadWrite.CrossTenantAccess"
RW_AUTHORIZATION = "Policy.ReadWrite.Authorization"
RW_AUTH_METHOD = "Policy.ReadWrite.AuthenticationMethod"
RW_AUTH_FLOWS = "Policy.ReadWrite.AuthenticationFlows"

CTAP = "/v1.0/policies/crossTenantAccessPolicy"
AUTHORIZATION = "/v1.0/policies/authorizationPolicy"
EMAIL = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email"
AUTH_FLOWS = "/v1.0/policies/authenticationFlowsPolicy"

ALLOWED_CLOUD_ENDPOINTS = ("microsoftonline.com", "microsoftonline.us", "partner.microsoftonline.cn")
FALLBACK_IDENTITY_PROVIDERS = ("defaultConfiguredIdp", "emailOneTimePasscode", "microsoftAccount")
B2B_SETTINGS = ("b2bCollaborationInbound", "b2bCollaborationOutbound",
                "b2bDirectConnectInbound", "b2bDirectConnectOutbound")
TARGETED_SETTINGS = (*B2B_SETTINGS, "tenantRestrictions", "m365CollaborationInbound", "m365CollaborationOutbound",
                     "appServiceConnectInbound")
# The target types each half of a setting may hold (crossTenantAccessPolicyB2BSetting: "the list of users and
# groups" / "the list of applications", https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicyb2bsetting).
TARGET_TYPES_BY_HALF = {"usersAndGroups": ("user", "group"), "users": ("user", "group"),
                        "applications": ("application",)}
# Reserved target values and their type (https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicytarget).
RESERVED_TARGETS = {"allusers": ("AllUsers", "user"), "allapplications": ("AllApplications", "application"),
                    "allmicrosoftapps": ("AllMicrosoftApps", "application"), "office365": ("Office365", "application")}
# Default settings that may only target everyone: "You cannot target users or groups in inbound default settings"
# (B2B collaboration and B2B direct connect pages); "Default settings can't be scoped to individual accounts or
# groups" (tenant restrictions v2). m365CollaborationInbound is an inbound default too (a choice, see README).
EVERYONE_ONLY_ON_DEFAULT = {"b2bCollaborationInbound": "usersAndGroups", "b2bDirectConnectInbound": "usersAndGroups",
                            "tenantRestrictions": "usersAndGroups", "m365CollaborationInbound": "users"}
GUEST_USER_ROLE_IDS = ("a0b1b346-4d3e-4e8b-98f8-753987be4970", "10dae51f-b6af-4016-8d66-8c2a99b929b3",
                       "2af84b1e-32c8-42b7-82bc-daa82404023b")
EMAIL_ODATA_TYPE = "#microsoft.graph.emailAuthenticationMethodConfiguration"


def _target_config(access: str, target: str, target_type: str) -> dict:
    return {"accessType": access, "targets": [{"target": target, "targetType": target_type}]}


def _b2b(access: str) -> dict:
    return {"usersAndGroups": _target_config(access, "AllUsers", "user"),
            "applications": _target_config(access, "AllApplications", "application")}


SERVICE_DEFAULT = {
    "isServiceDefault": True,
    "inboundTrust": {"isMfaAccepted": False, "isCompliantDeviceAccepted": False,
                     "isHybridAzureADJoinedDeviceAccepted": False},
    "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
    "b2bCollaborationOutbound": _b2b("allowed"),
    "b2bCollaborationInbound": _b2b("allowed"),
    "b2bDirectConnectOutbound": _b2b("blocked"),
    "b2bDirectConnectInbound": _b2b("blocked"),
    "tenantRestrictions": _b2b("blocked"),
    "invitationRedemptionIdentityProviderConfiguration": {
        "primaryIdentityProviderPrecedenceOrder": ["externalFederation", "azureActiveDirectory",
                                                   "socialIdentityProviders"],
        "fallbackIdentityProvider": "defaultConfiguredIdp",
    },
    "m365CollaborationInbound": {"users": _target_config("blocked", "AllUsers", "user")},
    "m365CollaborationOutbound": {"usersAndGroups": _target_config("blocked", "AllUsers", "user")},
    "appServiceConnectInbound": {"applications": _target_config("blocked", "AllApplications", "application")},
}

FRESH_TEMPLATE = {
    "crossTenantAccessPolicy": {
        "@odata.type": "#microsoft.graph.crossTenantAccessPolicy",
        "id": "crossTenantAccessPolicy",
        "displayName": "CrossTenantAccessPolicy",
        "allowedCloudEndpoints": [],
    },
    "default": SERVICE_DEFAULT,
    "authorizationPolicy": {
        "id": "authorizationPolicy",
        "allowInvitesFrom": "everyone",
        "allowedToSignUpEmailBasedSubscriptions": True,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": True,
        "allowUserConsentForRiskyApps": False,
        "blockMsolPowerShell": None,
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": True,
            "allowedToCreateSecurityGroups": True,
            "allowedToCreateTenants": True,
            "allowedToReadBitlockerKeysForOwnedDevice": True,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": [
                "ManagePermissionGrantsForSelf.microsoft-user-default-recommended",
            ],
        },
    },
    "email": {
        "@odata.type": EMAIL_ODATA_TYPE,
        "id": "Email",
        "state": "enabled",
        "allowExternalIdToUseEmailOtp": "default",
        "excludeTargets": [],
        "includeTargets": [],
    },
    "authenticationFlowsPolicy": {
        "id": "authenticationFlowsPolicy",
        "displayName": "Authentication flows policy",
        "description": "Authentication flows policy allows modification of settings related to "
                       "authentication flows in AAD tenant, such as self-service sign up configuration.",
        "selfServiceSignUp": {"isEnabled": False},
    },
}
# Parsing a JSON string is ~3x faster than deepcopy, and fresh_policies runs once per tenant.
_FRESH_JSON = json.dumps(FRESH_TEMPLATE)


def fresh_policies(tenant_id: str) -> dict:
    """The policy state of a brand-new tenant (each object's Graph reference page, GET example)."""
    return json.loads(_FRESH_JSON)


def apply_policy_seed(tenant: Tenant, seed_policies: dict) -> None:
    """Merge a seed's partial Graph JSON (keyed like ``tenant.policies``) over the current state.

    Seeds are trusted setup, but they are validated like a PATCH so a typo fails loudly.
    """
    for key, partial in (seed_policies or {}).items():
        if key not in SINGLETONS:
            raise ValueError(f"unknown policy {key!r} in seed; expected one of {sorted(SINGLETONS)}")
        validate_body(SINGLETONS[key].type_name, partial, mode="put")
        merged = _merge(key, tenant.policies[key], copy.deepcopy(partial))
        if key == "default":
            merged["isServiceDefault"] = partial.get("isServiceDefault", _is_service_default(merged))
        tenant.policies[key] = merged


def _is_service_default(default: dict) -> bool:
    return {**default, "isServiceDefault": True} == SERVICE_DEFAULT


# ------------------------------------------------------------------------------------------
# Rules that the schema alone does not carry
# ------------------------------------------------------------------------------------------

def _blocks_all(config: dict | None, everyone: str) -> bool:
    return bool(config) and config.get("accessType") == "blocked" and any(
        t.get("target") == everyone for t in config.get("targets") or [])


def check_conflicts(settings: dict, owner: str) -> None:
    """Entra's "Conflicting settings aren't allowed" rule for each B2B setting and tenant restrictions.

    B2B (https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-overview#important-considerations):
    blocking all users and groups requires blocking all applications (Example 1); allowing users and groups
    requires at least one application not blocked (Example 2).  Tenant restrictions
    (https://learn.microsoft.com/en-us/entra/external-id/tenant-restrictions-v2): blocking all users requires
    blocking all external applications and the other way round.  A setting that gives only one half is checked
    when the other half is known.
    """
    for name in (*B2B_SETTINGS, "tenantRestrictions"):
        setting = settings.get(name)
        if not setting or not setting.get("usersAndGroups") or not setting.get("applications"):
            continue
        users, apps = setting["usersAndGroups"], setting["applications"]
        all_users_blocked = _blocks_all(users, "AllUsers")
        all_apps_blocked = _blocks_all(apps, "AllApplications")
        if all_users_blocked and not all_apps_blocked:
            raise _conflict(owner, name, "blocking all users and groups requires blocking all applications")
        if name == "tenantRestrictions" and all_apps_blocked and not all_users_blocked:
            raise _conflict(owner, name, "blocking all external applications requires blocking all users and groups")
        if users.get("accessType") == "allowed" and all_apps_blocked:
            raise _conflict(owner, name, "allowing users and groups requires at least one allowed application")


def _conflict(owner: str, setting: str, why: str):
    return bad_request(f"Conflicting settings in {setting} of the {owner} configuration: {why}.")


def check_targets(body: dict) -> None:
    """Each target is an object id of a type its half may hold, or a reserved value of that type."""
    for name in TARGETED_SETTINGS:
        setting = body.get(name)
        for half, types in TARGET_TYPES_BY_HALF.items():
            config = setting.get(half) if isinstance(setting, dict) else None
            for index, target in enumerate((config or {}).get("targets") or []):
                _check_target(target, types, f"{name}.{half}.targets[{index}]")


def _check_target(target: dict, types: tuple, where: str) -> None:
    value, target_type = str(target.get("target")), target.get("targetType")
    reserved = RESERVED_TARGETS.get(value.lower())
    if reserved and reserved[1] != target_type:
        raise bad_request(f"Invalid value for property '{where}': '{reserved[0]}' is a target of type "
                          f"'{reserved[1]}', not '{target_type}'.")
    if not reserved and not GUID_RE.match(value):
        raise bad_request(f"Invalid value for property '{where}.target': '{value}' is neither an object id "
                          f"nor a reserved value.")
    if target_type not in types:
        raise bad_request(f"Invalid value for property '{where}.targetType': '{target_type}' is not allowed "
                          f"here; expected {' or '.join(types)}.")


def check_default_targets_everyone(default: dict) -> None:
    for name, half in EVERYONE_ONLY_ON_DEFAULT.items():
        targets = ((default.get(name) or {}).get(half) or {}).get("targets") or []
        if any(str(t.get("target")).lower() != "allusers" for t in targets):
            raise bad_request(f"Invalid value for property '{name}.{half}': the default configuration cannot "
                              f"target specific users or groups; use AllUsers.")


def check_guest_user_role(body: dict) -> None:
    """The three supported guest roles (https://learn.microsoft.com/en-us/graph/api/resources/authorizationpolicy)."""
    role = body.get("guestUserRoleId")
    if role is not None and str(role).lower() not in GUEST_USER_ROLE_IDS:
        raise bad_request(f"Invalid value for property 'guestUserRoleId': '{role}' is not one of the supported "
                          f"guest roles ({', '.join(GUEST_USER_ROLE_IDS)}).")


def check_identity_provider_configuration(body: dict) -> None:
    key = "invitationRedemptionIdentityProviderConfiguration"
    if key not in body:
        return
    fallback = (body[key] or {}).get("fallbackIdentityProvider")
    if fallback not in FALLBACK_IDENTITY_PROVIDERS:
        raise bad_request(f"Invalid value for property '{key}.fallbackIdentityProvider': at least one "
                          f"fallback identity provider must be active ({', '.join(FALLBACK_IDENTITY_PROVIDERS)}).")


def check_default_complete(body: dict) -> None:
    """The default is what partners inherit from, so none of its settings may be null."""
    for name, value in body.items():
        if value is None:
            raise bad_request(f"Invalid value for property '{name}': the default configuration "
                              f"cannot be null; use resetToSystemDefault to restore it.")


def require_email_odata_type(body: dict) -> None:
    if body.get("@odata.type") != EMAIL_ODATA_TYPE:
        raise bad_request(f"The @odata.type property with a value of '{EMAIL_ODATA_TYPE}' must be "
                          f"included in the body.")


def check_allowed_cloud_endpoints(body: dict) -> None:
    for endpoint in body.get("allowedCloudEndpoints") or []:
        if endpoint not in ALLOWED_CLOUD_ENDPOINTS:
            raise bad_request(f"Invalid value '{endpoint}' for property 'allowedCloudEndpoints': expected "
                              f"one of {', '.join(ALLOWED_CLOUD_ENDPOINTS)}.")


def cross_tenant_policy_parts(tenant: Tenant, **replacing) -> list:
    """The stored pieces the 25 KB limit counts, with any of them replaced by a pending value."""
    return [replacing.get("root", tenant.policies["crossTenantAccessPolicy"]),
            replacing.get("default", tenant.policies["default"]),
            *replacing.get("partners", tenant.partners).values()]


# ------------------------------------------------------------------------------------------
# Singleton GET/PATCH, one table row per policy
# ------------------------------------------------------------------------------------------

class Singleton:
    def __init__(self, key, type_name, context, target_name, activity, category, checks=()):
        self.key, self.type_name, self.context = key, type_name, context
        self.target_name, self.activity, self.category, self.checks = target_name, activity, category, checks


SINGLETONS = {
    "crossTenantAccessPolicy": Singleton(
        "crossTenantAccessPolicy", "crossTenantAccessPolicy", "policies/crossTenantAccessPolicy",
        "CrossTenantAccessPolicy", audit.ACTIVITY_CROSS_TENANT_POLICY_UPDATE, audit.CATEGORY_CROSS_TENANT,
        (check_allowed_cloud_endpoints,)),
    "default": Singleton(
        "default", "crossTenantAccessPolicyConfigurationDefault", "policies/crossTenantAccessPolicy/default",
        "default", audit.ACTIVITY_DEFAULT_UPDATE, audit.CATEGORY_CROSS_TENANT,
        (check_default_complete, check_identity_provider_configuration, check_targets)),
    "authorizationPolicy": Singleton(
        "authorizationPolicy", "authorizationPolicy", "policies/authorizationPolicy",
        "Authorization Policy", audit.ACTIVITY_AUTHORIZATION_POLICY_UPDATE, audit.CATEGORY_POLICY,
        (check_guest_user_role,)),
    "email": Singleton(
        "email", "emailAuthenticationMethodConfiguration", "authenticationMethodConfigurations",
        "Email", audit.ACTIVITY_AUTH_METHODS_POLICY_UPDATE, audit.CATEGORY_POLICY,
        (require_email_odata_type,)),
    "authenticationFlowsPolicy": Singleton(
        "authenticationFlowsPolicy", "authenticationFlowsPolicy", "policies/authenticationFlowsPolicy",
        "Authentication flows policy", audit.ACTIVITY_AUTH_FLOWS_POLICY_UPDATE, audit.CATEGORY_POLICY),
}


def _get(req: Request, key: str) -> Response:
    singleton = SINGLETONS[key]
    stored = req.tenant.policies[key]
    return Response(200, entity_response_body(req, stored, singleton.type_name, singleton.context))


def _patch(req: Request, key: str) -> Response:
    singleton = SINGLETONS[key]
    body = req.body if req.body is not None else {}
    validate_body(singleton.type_name, body, mode="patch")
    for check in singleton.checks:
        check(body)
    changes = {k: copy.deepcopy(v) for k, v in body.items() if not k.startswith("@")}
    with req.world.lock:
        old = req.tenant.policies[key]
        new = _merge(key, old, changes)
        if key == "default":
            new["isServiceDefault"] = False
            check_default_targets_everyone(new)
            check_conflicts(new, "default")
            check_cross_tenant_policy_size(cross_tenant_policy_parts(req.tenant, default=new))
        elif key == "crossTenantAccessPolicy":
            check_cross_tenant_policy_size(cross_tenant_policy_parts(req.tenant, root=new))
        req.tenant.policies[key] = new
    audit.record(req, singleton.category, singleton.activity,
                 {"id": old.get("id", key), "displayName": singleton.target_name, "type": "Policy"}, old, new)
    return Response(204)


def _merge(key: str, old: dict, changes: dict) -> dict:
    """A PATCH replaces each complex property it names whole; the default keeps every half of a
    B2B-style setting it is not given, because the default is always complete."""
    new = {**old, **changes}
    if key == "default":
        for name, value in changes.items():
            if isinstance(value, dict) and isinstance(old.get(name), dict):
                new[name] = {**old[name], **value}
    return new


def _register_singleton(path: str, key: str, write_permission: str) -> None:
    route("graph", "GET", path, permissions=(READ_ALL, write_permission))(lambda req: _get(req, key))
    route("graph", "PATCH", path, permissions=(write_permission,))(lambda req: _patch(req, key))


_register_singleton(CTAP, "crossTenantAccessPolicy", RW_CROSS_TENANT)
_register_singleton(CTAP + "/default", "default", RW_CROSS_TENANT)
_register_singleton(AUTHORIZATION, "authorizationPolicy", RW_AUTHORIZATION)
_register_singleton(AUTH_FLOWS, "authenticationFlowsPolicy", RW_AUTH_FLOWS)
_register_singleton(EMAIL, "email", RW_AUTH_METHOD)


@route("graph", "POST", CTAP + r"/default/(?:microsoft\.graph\.)?resetToSystemDefault",
       permissions=(RW_CROSS_TENANT,))
def reset_default(req: Request) -> Response:
    with req.world.lock:
        old = req.tenant.policies["default"]
        req.tenant.policies["default"] = fresh_policies(req.tenant.id)["default"]
        new = req.tenant.policies["default"]
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_DEFAULT_RESET,
                 {"id": "default", "displayName": "default", "type": "Policy"}, old, new)
    return Response(204)

