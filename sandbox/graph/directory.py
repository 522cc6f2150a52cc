"""Entra directory: users (members and guests), groups, organization and tenant lookup.

A guest is one record in ``tenant.users``: its Graph properties, plus an ``_exchange`` dict
when it is mail-enabled (the Exchange mail-user view, read and written by ``sandbox.exchange``).
Entra's ``showInAddressList`` and Exchange's ``HiddenFromAddressListsEnabled`` are stored
separately, so they can disagree as they do in real tenants.
"""
from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta
from urllib.parse import unquote

from sandbox.clock import utc_timestamp
from sandbox.core import ApiError, Request, Response, Tenant, not_found, route
from sandbox.graph import audit, odata

USER_READ = ("User.Read.All", "User.ReadWrite.All")
USER_WRITE = ("User.ReadWrite.All",)
GROUP_READ = ("Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All")
ORGANIZATION_READ = ("Organization.Read.All", "Organization.ReadWrite.All", "User.Read.All", "Directory.Read.All")
TENANT_LOOKUP = ("CrossTenantInformation.ReadBasic.All",)

# Graph v1.0 returns only these user properties unless $select asks for others.
DEFAULT_USER_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                           "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id")
EPOCH = datetime(2021, 1, 1)                 # naive UTC


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------

def user_view(user: dict, selected: list | None) -> dict:
    """A user as Graph v1.0 shows it: ``$select`` or v1.0's default property set.

    ``showInAddressList`` is always null through v1.0.  Microsoft's user reference says "Do not use
    in Microsoft Graph" (https://learn.microsoft.com/graph/api/resources/user), its known issue says
    the property "may not indicate the same status shown in Microsoft Exchange"
    (https://learn.microsoft.com/graph/known-issues#showinaddresslist-property-is-out-of-sync-with-microsoft-exchange),
    and users report v1.0 answering null even after an admin changed it
    (https://learn.microsoft.com/answers/questions/640812/showinaddresslist-field-is-absent-in-users-delta-r).
    The stored value (seeded, or written by a PATCH) stays on the record, as the directory keeps it."""
    view = {name: user.get(name) for name in (selected or DEFAULT_USER_PROPERTIES)}
    if "showInAddressList" in view:
        view["showInAddressList"] = None
    return view


def public_view(item: dict, selected: list | None) -> dict:
    """An object without the sandbox's internal ``_`` keys, ``$select`` applied."""
    return odata.project({k: v for k, v in item.items() if not k.startswith("_")}, selected)


def require_eventual_consistency_for_count(req: Request) -> None:
    if req.query.get("$count", "").lower() == "true" and req.headers.get("consistencylevel", "").lower() != "eventual":
        raise ApiError(400, "Request_BadRequest",
                       "$count is not currently supported. Use ConsistencyLevel: eventual with $count.")


# --------------------------------------------------------------------------------------------
# Seed loading and the guest generator
# --------------------------------------------------------------------------------------------

_FIRST_NAMES = ("Alex", "Bea", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jun", "Kemal", "Lea",
                "Mina", "Noor", "Omar", "Petra", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Viktor", "Wen", "Yara")
_LAST_NAMES = ("Andersen", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
               "Kowalski", "Lopez", "Meyer", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Weber")


def load_directory(tenant: Tenant, seed_tenant: dict, rng) -> None:
    """Fill ``tenant`` from the seed keys ``groups``, ``mail_contacts``, ``users`` and ``guests``
    (documented in sandbox/README.md, "Directory seed keys").  ``rng`` is a ``random.Random``."""
    for group_seed in seed_tenant.get("groups") or []:
        group = _group_from_seed(group_seed, rng)
        tenant.groups[group["id"]] = group
    for contact_seed in seed_tenant.get("mail_contacts") or []:
        contact = mail_contact(contact_seed, rng)
        tenant.mail_contacts[contact["Guid"]] = contact
    contact_addresses = {c["ExternalEmailAddress"][5:].lower() for c in tenant.mail_contacts.values()}
    for user_seed in seed_tenant.get("users") or []:
        user = _user_from_seed(tenant, user_seed, rng, contact_addresses)
        tenant.users[user["id"]] = user
    if seed_tenant.get("guests"):
        generate_guests(tenant, seed_tenant["guests"], rng)


def random_guid(rng) -> str:
    text = "%032x" % rng.getrandbits(128)
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[int(text[16], 16) & 3]}{text[17:20]}-{text[20:]}"


def initial_domain(tenant: Tenant) -> str:
    return next((d for d in tenant.domains if d.lower().endswith(".onmicrosoft.com")), tenant.default_domain)


def guest_user_principal_name(tenant: Tenant, mail: str) -> str:
    return f"{mail.replace('@', '_')}#EXT#@{initial_domain(tenant)}"


def graph_user(*, user_id: str, display_name: str, upn: str, mail: str | None, user_type: str,
               creation_type: str | None, state: str | None, created: datetime, state_changed: datetime | None,
               show_in_address_list: bool | None, account_enabled: bool = True) -> dict:
    given, _, surname = display_name.partition(" ")
    return {
        "id": user_id, "displayName": display_name, "givenName": given or None, "surname": surname or None,
        "userPrincipalName": upn, "mail": mail, "otherMails": [mail] if mail and creation_type else [],
        "userType": user_type, "creationType": creation_type, "externalUserState": state,
        "externalUserStateChangeDateTime": utc_timestamp(state_changed) if state_changed else None,
        "showInAddressList": show_in_address_list, "accountEnabled": account_enabled,
        "createdDateTime": utc_timestamp(created), "businessPhones": [], "jobTitle": None, "mobilePhone": None,
        "officeLocation": None, "preferredLanguage": None,
    }


def exchange_mail_user(domain: str, user: dict, hidden: bool, guid: str) -> dict:
    """The Exchange mail-user view of an external user (one user, two views: https://learn.microsoft.com/entra/identity/multi-tenant-organizations/multi-tenant-user-management-scenarios);
    ``domain`` is the tenant's initial domain, where guests' addresses live."""
    mail = user["mail"]
    name = mail.replace("@", "_") + "#EXT#"
    primary = f"{name}@{domain}"
    return {
        "Identity": name, "Name": name, "Alias": name, "DisplayName": user["displayName"],
        "DistinguishedName": f"CN={name},OU={domain},{hosted_organizations_dn(domain)}",
        "PrimarySmtpAddress": primary, "WindowsEmailAddress": primary,
        "ExternalEmailAddress": f"SMTP:{mail}", "EmailAddresses": [f"SMTP:{primary}", f"smtp:{mail}"],
        "RecipientType": "MailUser",
        "RecipientTypeDetails": "GuestMailUser" if user["userType"] == "Guest" else "MailUser",
        "HiddenFromAddressListsEnabled": hidden, "ExternalDirectoryObjectId": user["id"], "Guid": guid,
    }


def hosted_organizations_dn(domain: str) -> str:
    """Where Exchange Online keeps a tenant's recipients: ``OU=Microsoft Exchange Hosted Organizations,DC=<forest>,
    DC=PROD,DC=OUTLOOK,DC=COM``; the forest is a stable fake per tenant (sandbox choice)."""
    number = zlib.crc32(domain.lower().encode()) % 10000
    return (f"OU=Microsoft Exchange Hosted Organizations,DC=EURPR0{number % 7 + 1}A{number % 1000:03d},"
            "DC=PROD,DC=OUTLOOK,DC=COM")


def mail_contact(seed: dict, rng) -> dict:
    address = seed["external_email_address"]
    alias = re.sub(r"[^A-Za-z0-9]", "", address.split("@")[0]) or "contact"
    name = seed.get("display_name") or address
    return {
        "Identity": name, "Name": name, "Alias": alias, "DisplayName": name,
        "ExternalEmailAddress": f"SMTP:{address}", "PrimarySmtpAddress": address,
        "EmailAddresses": [f"SMTP:{address}"], "RecipientType": "MailContact",
        "RecipientTypeDetails": "MailContact", "HiddenFromAddressListsEnabled": bool(seed.get("hidden", False)),
        "Guid": seed.get("guid") or random_guid(rng),
    }


def _group_from_seed(seed: dict, rng) -> dict:
    group_id = seed.get("id") or random_guid(rng)
    return {
        "id": group_id, "displayName": seed.get("display_name", group_id), "description": seed.get("description"),
        "mailEnabled": bool(seed.get("mail_enabled", False)), "securityEnabled": bool(seed.get("security_enabled", True)),
        "groupTypes": list(seed.get("group_types", [])), "mail": seed.get("mail"),
        "mailNickname": seed.get("mail_nickname") or re.sub(r"\W", "", seed.get("display_name", group_id)),
        "visibility": seed.get("visibility"), "createdDateTime": utc_timestamp(EPOCH),
    }


def _user_from_seed(tenant: Tenant, seed: dict, rng, contact_addresses: set) -> dict:
    user_type = seed.get("user_type", "Guest")
    external = user_type == "Guest" or seed.get("creation_type") == "Invitation"
    creation_type = seed.get("creation_type", "Invitation" if user_type == "Guest" else None)
    mail = seed.get("mail")
    state = seed.get("external_user_state", "Accepted") if external else None
    created = EPOCH + timedelta(days=int(seed.get("created_days_after_2021", 30)))
    if seed.get("user_principal_name"):
        upn = seed["user_principal_name"]
    elif external and mail:
        upn = guest_user_principal_name(tenant, mail)
    else:
        upn = f"{(mail or seed['display_name']).split('@')[0].replace(' ', '.').lower()}@{tenant.default_domain}"
    user = graph_user(user_id=seed.get("id") or random_guid(rng), display_name=seed["display_name"], upn=upn,
                      mail=mail, user_type=user_type, creation_type=creation_type, state=state, created=created,
                      state_changed=created if state else None,
                      show_in_address_list=seed.get("show_in_address_list"),
                      account_enabled=seed.get("account_enabled", True))
    # A mail contact holding the address keeps the guest from being mail-enabled (https://learn.microsoft.com/entra/identity/multi-tenant-organizations/multi-tenant-user-management-scenarios).
    mail_enabled = seed.get("mail_enabled", external and bool(mail)) and external and bool(mail)
    if mail_enabled and mail.lower() not in contact_addresses:
        user["_exchange"] = exchange_mail_user(initial_domain(tenant), user, bool(seed.get("hidden_from_address_lists", True)),
                                               seed.get("exchange_guid") or random_guid(rng))
    return user


def generate_guests(tenant: Tenant, spec: dict, rng) -> None:
    """Deterministic guests from ``rng``: see "Directory seed keys" in sandbox/README.md."""
    count = int(spec["count"])
    domains = list(spec.get("domains") or ["fabrikam.com"])
    pending_ratio = float(spec.get("pending_ratio", 0.0))
    not_mail_enabled_ratio = float(spec.get("not_mail_enabled_ratio", 0.0))
    hidden_ratio = float(spec.get("hidden_ratio", 1.0))
    contact_ratio = float(spec.get("contact_ratio", 0.0))
    show_setting = spec.get("show_in_address_list")
    prefix = spec.get("prefix", "")
    guest_domain = initial_domain(tenant)
    upn_suffix = f"#EXT#@{guest_domain}"
    random, randrange = rng.random, rng.randrange
    for number in range(len(tenant.users), len(tenant.users) + count):
        first, last = _FIRST_NAMES[randrange(len(_FIRST_NAMES))], _LAST_NAMES[randrange(len(_LAST_NAMES))]
        mail = f"{prefix}{first.lower()}.{last.lower()}{number}@{domains[number % len(domains)]}"
        created = EPOCH + timedelta(seconds=randrange(3 * 365 * 86400))
        pending = random() < pending_ratio
        hidden = random() < hidden_ratio
        user = graph_user(user_id=random_guid(rng), display_name=f"{first} {last}",
                          upn=mail.replace("@", "_") + upn_suffix, mail=mail, user_type="Guest",
                          creation_type="Invitation", state="PendingAcceptance" if pending else "Accepted",
                          created=created, state_changed=created if pending else created + timedelta(days=1),
                          show_in_address_list=(not hidden) if show_setting == "consistent" else show_setting)
        exchange_guid = random_guid(rng)
        roll = random()
        if roll < contact_ratio:
            contact = mail_contact({"external_email_address": mail, "display_name": f"{first} {last} (contact)"}, rng)
            tenant.mail_contacts[contact["Guid"]] = contact
        elif roll >= contact_ratio + not_mail_enabled_ratio:
            user["_exchange"] = exchange_mail_user(guest_domain, user, hidden, exchange_guid)
        tenant.users[user["id"]] = user


# --------------------------------------------------------------------------------------------
# Graph routes
# --------------------------------------------------------------------------------------------

# showInAddressList is not filterable: v1.0 does not serve it (see user_view).
USER_FILTER_FIELDS = {"userType": "str", "mail": "str", "creationType": "str", "externalUserState": "str",
                      "userPrincipalName": "str", "displayName": "str", "id": "str", "accountEnabled": "bool",
                      "createdDateTime": "datetime"}
GROUP_FILTER_FIELDS = {"displayName": "str", "id": "str", "mailEnabled": "bool", "securityEnabled": "bool",
                       "mailNickname": "str"}


@route("graph", "GET", r"/v1\.0/users", USER_READ)
def list_users(req: Request) -> Response:
    require_eventual_consistency_for_count(req)
    matches = odata.compile_filter(odata.query_option(req, "filter"), USER_FILTER_FIELDS, "User")
    selected = odata.selected_properties(req, "user")
    users = [user_view(u, selected) for u in list(req.tenant.users.values()) if matches(u)]
    return Response(200, odata.collection_body(req, users, "users", selected, countable=True))


@route("graph", "GET", r"/v1\.0/users/(?P<user_key>[^/]+)", USER_READ)
def get_user(req: Request) -> Response:
    user = find_user(req.tenant, req.match["user_key"])
    selected = odata.selected_properties(req, "user")
    context = odata.context_url(req, odata.select_context("users", selected) + "/$entity")
    return Response(200, {"@odata.context": context, **user_view(user, selected)})


@route("graph", "PATCH", r"/v1\.0/users/(?P<user_key>[^/]+)", USER_WRITE)
def update_user(req: Request) -> Response:
    from sandbox.schema import validate_body
    body = req.body if isinstance(req.body, dict) else {}
    validate_body("user", body, mode="patch")
    changes = {name: value for name, value in body.items() if not name.startswith("@")}   # e.g. the SDK's @odata.type
    with req.world.lock:
        user = find_user(req.tenant, req.match["user_key"])
        old = {name: user.get(name) for name in changes}
        user.update(changes)
        audit.record(req, audit.CATEGORY_USER, audit.ACTIVITY_USER_UPDATE, user_target(user), old, changes)
    return Response(204)


def user_target(user: dict) -> dict:
    return {"id": user["id"], "displayName": user.get("displayName"), "type": "User",
            "userPrincipalName": user.get("userPrincipalName")}


def find_user(tenant: Tenant, key: str) -> dict:
    """A user by object id or userPrincipalName (case-insensitive), or Graph's 404."""
    key = unquote(key)
    user = tenant.users.get(key) or tenant.users.get(key.lower())
    if user is None:
        lowered = key.lower()
        user = next((u for u in list(tenant.users.values()) if u["userPrincipalName"].lower() == lowered), None)
    if user is None:
        raise not_found(f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.")
    return user


@route("graph", "GET", r"/v1\.0/groups", GROUP_READ)
def list_groups(req: Request) -> Response:
    matches = odata.compile_filter(odata.query_option(req, "filter"), GROUP_FILTER_FIELDS, "Group")
    selected = odata.selected_properties(req, "group")
    groups = [public_view(g, selected) for g in list(req.tenant.groups.values()) if matches(g)]
    return Response(200, odata.collection_body(req, groups, "groups", selected))


@route("graph", "GET", r"/v1\.0/groups/(?P<group_id>[^/]+)", GROUP_READ)
def get_group(req: Request) -> Response:
    group = req.tenant.groups.get(unquote(req.match["group_id"]).lower()) or req.tenant.groups.get(req.match["group_id"])
    if group is None:
        raise not_found(f"Resource '{req.match['group_id']}' does not exist or one of its queried "
                        "reference-property objects are not present.")
    return Response(200, odata.entity_response_body(req, public_view(group, None), "group", "groups"))


def organization(tenant: Tenant) -> dict:
    initial = initial_domain(tenant)
    return {
        "id": tenant.id, "displayName": tenant.display_name, "tenantType": "AAD",
        "createdDateTime": utc_timestamp(EPOCH),
        "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": i == 0,
                             "isInitial": d == initial, "name": d, "type": "Managed"}
                            for i, d in enumerate(tenant.domains)],
    }


@route("graph", "GET", r"/v1\.0/organization", ORGANIZATION_READ)
def list_organization(req: Request) -> Response:
    selected = odata.selected_properties(req, "organization")
    return Response(200, {"@odata.context": odata.context_url(req, odata.select_context("organization", selected)),
                          "value": [odata.project(organization(req.tenant), selected)]})


@route("graph", "GET", r"/v1\.0/organization/(?P<org_id>[^/]+)", ORGANIZATION_READ)
def get_organization(req: Request) -> Response:
    if unquote(req.match["org_id"]).lower() != req.tenant.id.lower():
        raise not_found(f"Resource '{req.match['org_id']}' does not exist or one of its queried "
                        "reference-property objects are not present.")
    return Response(200, odata.entity_response_body(req, organization(req.tenant), "organization", "organization"))


def tenant_information(req: Request, tenant: Tenant | None, looked_up: str) -> Response:
    if tenant is None:
        raise not_found(f"Tenant '{looked_up}' not found.")
    return Response(200, {
        "@odata.context": odata.context_url(req, "microsoft.graph.tenantInformation"),
        "tenantId": tenant.id, "displayName": tenant.display_name, "defaultDomainName": tenant.default_domain,
        "federationBrandName": None,
    })


@route("graph", "GET", r"/v1\.0/tenantRelationships/findTenantInformationByTenantId\(tenantId='(?P<tid>[^']*)'\)",
       TENANT_LOOKUP)
def find_tenant_by_id(req: Request) -> Response:
    tenant_id = unquote(req.match["tid"])
    tenant = req.world.tenants.get(tenant_id.lower())
    return tenant_information(req, tenant, tenant_id)


@route("graph", "GET",
       r"/v1\.0/tenantRelationships/findTenantInformationByDomainName\(domainName='(?P<domain>[^']*)'\)",
       TENANT_LOOKUP)
def find_tenant_by_domain(req: Request) -> Response:
    domain = unquote(req.match["domain"])
    tenant_id = req.world.domain_index.get(domain.lower())
    return tenant_information(req, req.world.tenants.get(tenant_id) if tenant_id else None, domain)
