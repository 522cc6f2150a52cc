"""Whether external and guest users appear in the tenant's global address list.

One user, two views: Entra's ``showInAddressList`` and Exchange's ``HiddenFromAddressListsEnabled``
on the user's mail user (they are inverse).  Exchange is the side that decides and the only one
written: ``Set-MailUser -Identity <Guid>`` per user under bounded concurrency (the GUID is one of the
identity forms https://learn.microsoft.com/powershell/module/exchange/set-mailuser documents).
Entra's flag is never written through Graph - Microsoft's user reference says "Do not use in
Microsoft Graph" (https://learn.microsoft.com/graph/api/resources/user) - and is only reported where
Graph gives a value that disagrees (v1.0 usually answers null).

Selection: ordered ``rules`` (the first that matches wins), then ``default``.  A rule matches a user
when every criterion it gives matches (and any one value of a criterion's list is enough):

* ``domains`` - the domain of the user's mail address, case-insensitively; ``*.example.com``
  matches subdomains of example.com (not example.com itself);
* ``partner_tenants`` - the tenant that owns the mail domain (``findTenantInformationByDomainName``,
  once per domain), against tenant GUIDs or domains (resolved the same way);
* ``user_types`` - ``guest`` (userType Guest) or ``external_member`` (userType Member, created by invitation);
* ``users`` - the user's mail address or object id, case-insensitively.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from ..errors import ApplyError, GraphError, InputError, ServiceError, TenantOpsError
from ..compare import is_guid
from ..graph import odata_key
from ..plan import Change, Plan

VISIBILITIES = ("visible", "hidden")
USER_TYPES = {"guest": "Guest", "external_member": "Member"}
USER_QUERIES = ("userType eq 'Guest'", "userType eq 'Member' and creationType eq 'Invitation'")
USER_SELECT = "id,mail,userPrincipalName,userType,showInAddressList,externalUserState"
MAIL_USER_SELECT = ["ExternalDirectoryObjectId", "Guid", "PrimarySmtpAddress", "HiddenFromAddressListsEnabled",
                    "RecipientTypeDetails"]
CONTACT_SELECT = ["ExternalEmailAddress", "EmailAddresses"]
DOMAIN = re.compile(r"^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$", re.I)
MAX_CONCURRENCY = 20          # the HTTP client keeps at most 20 connections
DEFAULT_CONCURRENCY = 8
DIFF_USERS = 20               # users named in the diff; the rest are counted

REASON_CONTACT = "a mail contact holds this address, so Exchange cannot mail-enable the user"
REASON_NOT_MAIL_ENABLED = ("no Exchange mail user (not mail-enabled yet, or an external member invited "
                           "directly, which cannot be mail-enabled)")
ALIGN_ENTRA_IGNORED = ("align_entra is deprecated and ignored: Entra's showInAddressList is no longer written through "
                       "Microsoft Graph, which Microsoft says not to use for it; Exchange's "
                       "HiddenFromAddressListsEnabled is the one value this module writes")


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    index: int
    visibility: str
    domains: tuple = ()
    partner_tenants: tuple = ()
    user_types: tuple = ()
    users: frozenset = frozenset()


def _values(rule: dict, name: str, where: str, check=None) -> tuple:
    values = rule.get(name) or []
    for position, value in enumerate(values):
        text = str(value).strip() if value is not None else ""
        if not text or (check and not check(text)):
            raise InputError(f"{where}.{name}[{position}]", f"{value!r} is not a valid value")
    return tuple(str(v).strip().lower() for v in values)


def parse_rules(params: dict) -> list:
    rules = []
    for index, raw in enumerate(params.get("rules") or []):
        where = f"rules[{index}]"
        if raw.get("visibility") not in VISIBILITIES:
            raise InputError(f"{where}.visibility", f"{raw.get('visibility')!r} is not one of visible, hidden")
        rule = Rule(index, raw["visibility"],
                    domains=_values(raw, "domains", where, DOMAIN.match),
                    partner_tenants=_values(raw, "partner_tenants", where,
                                            lambda v: is_guid(v) or DOMAIN.match(v) and not v.startswith("*")),
                    user_types=_values(raw, "user_types", where, lambda v: v in USER_TYPES),
                    users=frozenset(_values(raw, "users", where)))
        if not (rule.domains or rule.partner_tenants or rule.user_types or rule.users):
            raise InputError(where, "give at least one of domains, partner_tenants, user_types, users")
        rules.append(rule)
    return rules


def validate(params: dict, tenant_id: str) -> None:
    rules = parse_rules(params)
    if params.get("default") not in (None, *VISIBILITIES):
        raise InputError("default", f"{params['default']!r} is not one of visible, hidden")
    if params.get("default") is None and not rules:
        raise InputError("default", "give default, rules or both; otherwise no user is managed")
    if not 1 <= concurrency_of(params) <= MAX_CONCURRENCY:
        raise InputError("concurrency", f"must be between 1 and {MAX_CONCURRENCY}, got {concurrency_of(params)}")


def concurrency_of(params: dict) -> int:
    """0 is a value (refused), not "unset"."""
    return int(params["concurrency"]) if params.get("concurrency") is not None else DEFAULT_CONCURRENCY


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

def mail_of(user: dict) -> str | None:
    """The user's external address: ``mail``, else the one encoded in a guest UPN (``a_b.com#EXT#@``)."""
    if user.get("mail"):
        return user["mail"].lower()
    upn = user.get("userPrincipalName") or ""
    if "#EXT#" in upn and "_" in upn:
        local, domain = upn.split("#EXT#")[0].rsplit("_", 1)
        return f"{local}@{domain}".lower()
    return None


def domain_of(mail: str | None) -> str | None:
    return mail.rpartition("@")[2] if mail and "@" in mail else None


def is_hidden(value) -> bool | None:
    """Exchange returns some booleans as the strings "True"/"False" (observed; InvokeCommand is undocumented)."""
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return value if isinstance(value, bool) else None


async def read_users(session) -> list:
    pages = await asyncio.gather(*(session.graph.list_all(
        "/users", {"$filter": query, "$select": USER_SELECT, "$top": "999"}) for query in USER_QUERIES))
    return [user for page in pages for user in page]


async def read_mail_users(session) -> dict:
    found = await session.exchange.invoke("Get-MailUser", {}, MAIL_USER_SELECT)
    return {m["ExternalDirectoryObjectId"].lower(): m for m in found if m.get("ExternalDirectoryObjectId")}


async def read_contact_addresses(session) -> set:
    found = await session.exchange.invoke("Get-MailContact", {}, CONTACT_SELECT)
    addresses = set()
    for contact in found:
        for proxy in [contact.get("ExternalEmailAddress") or "", *(contact.get("EmailAddresses") or [])]:
            if proxy:
                addresses.add(proxy.split(":", 1)[-1].lower())
    return addresses


async def resolve_tenants(session, domains: set) -> dict:
    """{domain: tenant id or None}, one lookup per domain, 20 per ``$batch``."""
    ordered = sorted(domains)
    requests = [{"id": str(i), "method": "GET",
                 "url": f"/tenantRelationships/findTenantInformationByDomainName(domainName='{odata_key(d)}')"}
                for i, d in enumerate(ordered)]
    answers = await session.graph.batch(requests) if requests else {}
    tenants = {}
    for i, domain in enumerate(ordered):
        status, body = answers.get(str(i), (0, None))
        if status == 404:
            tenants[domain] = None          # not an Entra tenant's domain (gmail.com, ...)
        elif 200 <= status < 300:
            tenants[domain] = (body.get("tenantId") or "").lower() or None
        else:
            raise _batch_error("GET", "/tenantRelationships/findTenantInformationByDomainName", status, body)
    return tenants


def _batch_error(method: str, path: str, status: int, body) -> GraphError:
    error = (body or {}).get("error") or {} if isinstance(body, dict) else {}
    return GraphError(method, path, status, error.get("code", ""), error.get("message", ""))


async def read_state(session, rules: list, selection) -> dict:
    """Everything a plan needs.  ``selection(tenant_of_domain)`` returns the user -> wanted
    visibility function; ``Get-MailContact`` is called only if a selected user has no mail user."""
    users, mail_users = await asyncio.gather(read_users(session), read_mail_users(session))
    current = {"users": users, "mail_users": mail_users, "contacts": None, "tenant_of_domain": {}}
    if any(rule.partner_tenants for rule in rules):
        domains = {domain_of(mail_of(u)) for u in users} - {None}
        domains |= {p for rule in rules for p in rule.partner_tenants if not is_guid(p)}
        current["tenant_of_domain"] = await resolve_tenants(session, domains)
    wanted_of = selection(current["tenant_of_domain"])
    if any(u["id"].lower() not in mail_users and wanted_of(u) is not None for u in users):
        current["contacts"] = await read_contact_addresses(session)
    return current


async def read(session, params: dict) -> dict:
    return await read_state(session, parse_rules(params), lambda tenant_of_domain: selector(params, tenant_of_domain))


# --------------------------------------------------------------------------------------------
# Selection and planning (pure)
# --------------------------------------------------------------------------------------------

def partner_ids(rule: Rule, tenant_of_domain: dict) -> set:
    ids = set()
    for position, value in enumerate(rule.partner_tenants):
        if is_guid(value):
            ids.add(value)
        elif tenant_of_domain.get(value):
            ids.add(tenant_of_domain[value])
        else:
            raise InputError(f"rules[{rule.index}].partner_tenants[{position}]", f"no Entra tenant has the domain {value!r}")
    return ids


def domain_matches(patterns: tuple, domain: str | None) -> bool:
    if not domain:
        return False
    return any(domain == p or (p.startswith("*.") and domain.endswith(p[1:])) for p in patterns)


def rule_matches(rule: Rule, user: dict, partners: set, tenant_of_domain: dict) -> bool:
    mail = mail_of(user)
    domain = domain_of(mail)
    if rule.domains and not domain_matches(rule.domains, domain):
        return False
    if rule.partner_tenants and tenant_of_domain.get(domain) not in partners:
        return False
    if rule.user_types and user.get("userType") not in {USER_TYPES[t] for t in rule.user_types}:
        return False
    if rule.users and not ({user["id"].lower(), mail} & rule.users):
        return False
    return True


def selector(params: dict, tenant_of_domain: dict):
    """A function user -> "visible" / "hidden" / None (not managed)."""
    rules = parse_rules(params)
    partners = {rule.index: partner_ids(rule, tenant_of_domain) for rule in rules if rule.partner_tenants}
    default = params.get("default")

    def wanted(user: dict) -> str | None:
        for rule in rules:
            if rule_matches(rule, user, partners.get(rule.index, set()), tenant_of_domain):
                return rule.visibility
        return default
    return wanted


@dataclass
class Row:
    """One external user as both services show it."""
    user: str
    mail: str | None
    user_type: str | None
    hidden: bool | None            # Exchange HiddenFromAddressListsEnabled; None without a mail user
    shown: bool | None             # Entra showInAddressList; None when Graph has no value
    identity: str | None           # what Set-MailUser -Identity gets: the mail user's GUID
    reconcilable: bool
    reason: str | None = None

    @property
    def disagrees(self) -> bool:
        return self.hidden is not None and self.shown is not None and self.shown == self.hidden

    def ref(self, **extra) -> dict:
        return {"user": self.user, "mail": self.mail, **extra}


def rows_of(current: dict) -> list:
    rows = []
    contacts = current.get("contacts") or set()
    for user in current["users"]:
        mail = mail_of(user)
        mail_user = current["mail_users"].get(user["id"].lower())
        reason = None
        if mail_user is None:
            reason = REASON_CONTACT if mail in contacts else REASON_NOT_MAIL_ENABLED
        rows.append(Row(user["id"], mail, user.get("userType"),
                        is_hidden(mail_user.get("HiddenFromAddressListsEnabled")) if mail_user else None,
                        user.get("showInAddressList"),
                        (mail_user.get("Guid") or mail_user.get("PrimarySmtpAddress")) if mail_user else None,
                        mail_user is not None, reason))
    return rows


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    wanted_of = selector(params, current.get("tenant_of_domain") or {})
    users_by_id = {u["id"]: u for u in current["users"]}
    to_hide, to_show, unreconcilable, unmanaged = [], [], [], 0
    rows = rows_of(current)
    for row in rows:
        wanted = wanted_of(users_by_id[row.user])
        if wanted is None:
            unmanaged += 1
            continue
        if not row.reconcilable:
            unreconcilable.append(row.ref(reason=row.reason))
            continue
        hide = wanted == "hidden"
        if row.hidden != hide:
            (to_hide if hide else to_show).append(row)
    concurrency = concurrency_of(params)
    changes = [exchange_change(targets, hide, concurrency) for targets, hide in ((to_hide, True), (to_show, False))
               if targets]
    exchange_changes = [row.ref(hidden=True) for row in to_hide] + [row.ref(hidden=False) for row in to_show]
    before, after = summarise(rows, {}), summarise(rows, {c["user"]: c["hidden"] for c in exchange_changes})
    result = {
        "counts": {**counts(rows), "unmanaged": unmanaged, "to_hide": len(to_hide), "to_show": len(to_show)},
        "exchange_changes": exchange_changes,
        "disagreements": [row.ref(hidden_from_address_lists=row.hidden, show_in_address_list=row.shown)
                          for row in rows if row.disagrees],
        "unreconcilable": unreconcilable,
    }
    warnings = [ALIGN_ENTRA_IGNORED] if params.get("align_entra") is not None else []
    return Plan(before, after, changes, result, warnings, diff=diff_of(exchange_changes, before, after))


def exchange_change(rows: list, hide: bool, concurrency: int) -> Change:
    flag = "$true" if hide else "$false"
    return Change(f"Set-MailUser -HiddenFromAddressListsEnabled {flag} on {len(rows)} users", "POST",
                  "InvokeCommand Set-MailUser",
                  {"hidden": hide, "concurrency": concurrency,
                   "targets": [row.ref(identity=row.identity) for row in rows]})


def counts(rows: list) -> dict:
    mail_users = [r for r in rows if r.reconcilable]
    return {"users": len(rows), "mail_users": len(mail_users),
            "hidden": sum(1 for r in mail_users if r.hidden), "visible": sum(1 for r in mail_users if r.hidden is False),
            "disagreements": sum(1 for r in rows if r.disagrees),
            "unreconcilable": len(rows) - len(mail_users)}


def summarise(rows: list, hidden_now: dict) -> dict:
    """Counts of the Exchange side, with ``hidden_now`` ({user id: hidden}) applied."""
    hidden = [hidden_now.get(r.user, r.hidden) for r in rows if r.reconcilable]
    return {"hidden": sum(1 for h in hidden if h), "visible": sum(1 for h in hidden if h is False)}


def diff_of(exchange_changes: list, before: dict, after: dict) -> dict:
    """Counts, and the first users that change by name - not one entry per user of a large tenant."""
    def named(changes, key, fmt):
        shown = {(c["mail"] or c["user"]): fmt(c[key]) for c in changes[:DIFF_USERS]}
        if len(changes) > DIFF_USERS:
            shown[f"... and {len(changes) - DIFF_USERS} more"] = ""
        return shown
    old = {"exchange": before, "users": named(exchange_changes, "hidden", lambda h: "visible" if h else "hidden")}
    new = {"exchange": after, "users": named(exchange_changes, "hidden", lambda h: "hidden" if h else "visible")}
    return {"before": old, "after": new}


# --------------------------------------------------------------------------------------------
# Applying: per-user writes; one failure does not stop the others
# --------------------------------------------------------------------------------------------

async def set_mail_users(session, change: Change) -> tuple:
    """Run Set-MailUser for each target, at most ``concurrency`` at a time.  Returns (done, failed).

    A user's failure does not stop the others, except a 401/403: the app lacks a permission or
    role, every other call would fail the same way, so the rest are not sent."""
    body = change.body
    gate = asyncio.Semaphore(body["concurrency"])
    denied: list = []

    async def one(target: dict):
        async with gate:
            if denied:
                return target, f"not sent after a permission failure: {denied[0]}"
            try:
                await session.exchange.invoke("Set-MailUser", {"Identity": target["identity"],
                                                               "HiddenFromAddressListsEnabled": body["hidden"]})
                return target, None
            except ServiceError as exc:
                if exc.status in (401, 403):
                    denied.append(str(exc))
                return target, str(exc)
            except TenantOpsError as exc:
                return target, str(exc)
    outcomes = await asyncio.gather(*(one(t) for t in body["targets"]))
    done = [t for t, error in outcomes if error is None]
    failed = [{"user": t["user"], "mail": t["mail"], "reason": error} for t, error in outcomes if error]
    return done, failed


async def apply(session, plan: Plan) -> list:
    applied, not_applied, failed = [], [], []
    for change in plan.changes:
        done, failures = await set_mail_users(session, change)
        total = len(change.body["targets"])
        if done:
            applied.append(f"{change.summary}: {len(done)} of {total} done" if failures else change.summary)
        not_applied += [f"{change.summary.split(' on ')[0]}: {f['mail'] or f['user']}" for f in failures]
        failed += failures
    if failed:
        total = sum(len(change.body["targets"]) for change in plan.changes)
        others = "; the others were made" if applied else ""
        cause = TenantOpsError(f"{len(failed)} of {total} address-list writes failed{others}; "
                               f"first: {failed[0]['mail'] or failed[0]['user']}: {failed[0]['reason']}")
        raise ApplyError(cause, applied, not_applied, extra={"failed_users": failed},
                         hint="each user is written on its own; run again to retry the failed ones")
    return applied


class Info:
    """The unit behind ``mail_user_visibility_info``: both sides per user, and a selection in the
    input shape of ``mail_user_visibility`` (the majority as ``default``, the others as ``users``
    rules) that reproduces the current Exchange state, so feeding it back reports no change."""

    @staticmethod
    def validate(params: dict, tenant_id: str) -> None:
        return None

    @staticmethod
    async def read(session, params: dict) -> dict:
        return await read_state(session, [], lambda tenant_of_domain: lambda user: "reported")

    @staticmethod
    def plan(current: dict, params: dict, tenant_id: str) -> Plan:
        rows = rows_of(current)
        summary = counts(rows)
        result = {
            "counts": summary,
            "users": [row.ref(user_type=row.user_type, hidden_from_address_lists=row.hidden,
                              show_in_address_list=row.shown) for row in rows],
            "disagreements": [row.ref(hidden_from_address_lists=row.hidden, show_in_address_list=row.shown)
                              for row in rows if row.disagrees],
            "unreconcilable": [row.ref(reason=row.reason) for row in rows if not row.reconcilable],
            "suggestion": suggestion(rows, summary),
        }
        return Plan(summary, summary, result=result)


def suggestion(rows: list, summary: dict) -> dict:
    # Exchange hides external users by default, so a tie or an empty tenant says hidden
    # (https://learn.microsoft.com/entra/identity/multi-tenant-organizations/multi-tenant-user-management-scenarios).
    default = "visible" if summary["visible"] > summary["hidden"] else "hidden"
    exceptions = [row.user for row in rows if row.reconcilable and row.hidden is not None
                  and row.hidden != (default == "hidden")]
    other = "hidden" if default == "visible" else "visible"
    return {"default": default, "rules": [{"visibility": other, "users": exceptions}] if exceptions else []}
