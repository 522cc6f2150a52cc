"""Exchange Online's REST cmdlet endpoint: ``POST /adminapi/beta/{tenantId}/InvokeCommand``.

The mail-user view of a guest lives on the guest's directory record (``user["_exchange"]``);
mail contacts live in ``tenant.mail_contacts``.  Writes reach reads only after
``world.settings["exchange_write_delay"]`` seconds, as the real service lags (observed; the InvokeCommand endpoint is undocumented).
"""
from __future__ import annotations

import fnmatch
import re
import time
import zlib
from urllib.parse import quote, urlencode

from sandbox.core import ApiError, Request, Response, Tenant, route
from sandbox.graph import audit
from sandbox.graph.directory import user_target
from sandbox.graph.odata import decode_token, encode_token

EXCHANGE_PREFIX = "/exchange"
MANAGE_AS_APP = ("Exchange.ManageAsApp",)
DEFAULT_PAGE_SIZE = 1000
# Entra roles Exchange Online accepts for app-only access (https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2) ...
SUPPORTED_ROLES = {"Compliance Administrator", "Exchange Administrator", "Exchange Recipient Administrator",
                   "Global Administrator", "Global Reader", "Helpdesk Administrator", "Security Administrator",
                   "Security Reader"}
# ... and those whose cmdlet set includes recipient writes (sandbox choice, see README).
RECIPIENT_WRITERS = {"Exchange Administrator", "Exchange Recipient Administrator", "Global Administrator"}
COMMON_PARAMETERS = {"ErrorAction", "WarningAction", "Confirm", "Verbose"}

NOT_FOUND_ERR = "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
VALIDATION_ERR = "Ex2E4C3A|Microsoft.Exchange.Management.Tasks.ValidationException"
PARAMETER_ERR = "Ex1D8A4F|System.Management.Automation.ParameterBindingException"


# --------------------------------------------------------------------------------------------
# Errors in Exchange's shape
# --------------------------------------------------------------------------------------------

def cmdlet_error(status: int, code: str, error_id_and_type: str, text: str) -> ApiError:
    return ApiError(status, code, "Error executing cmdlet",
                    details=[{"code": "Client", "target": "", "message": f"{error_id_and_type}|{text}"}])


def object_not_found(tenant: Tenant, identity: str) -> ApiError:
    return cmdlet_error(404, "NotFound", NOT_FOUND_ERR,
                        f"The operation couldn't be performed because object '{identity}' couldn't be found on "
                        f"'{mailbox_server(tenant)}'.")


def invalid_value(text: str) -> ApiError:
    return cmdlet_error(400, "BadRequest", VALIDATION_ERR, text)


def unknown_parameter(name: str) -> ApiError:
    return cmdlet_error(400, "BadRequest", PARAMETER_ERR,
                        f"A parameter cannot be found that matches parameter name '{name}'.")


def unknown_cmdlet_response() -> Response:
    """What Exchange answers for a cmdlet it does not know (or the app's role lacks): a 403 whose
    body is NUL bytes while the headers declare gzip (observed), so clients fail to decode it."""
    return Response(403, b"\x00" * 16, {"Content-Encoding": "gzip", "Content-Type": "application/json"})


def mailbox_server(tenant: Tenant) -> str:
    number = zlib.crc32(tenant.id.encode()) % 10000
    return f"AM{number % 9 + 1}PR0{number % 7 + 1}MB{number:04d}.EURPRD0{number % 7 + 1}.PROD.OUTLOOK.COM"


# --------------------------------------------------------------------------------------------
# The endpoint
# --------------------------------------------------------------------------------------------

@route("exchange", "POST", r"/adminapi/beta/(?P<tenant_ref>[^/]+)/InvokeCommand", MANAGE_AS_APP)
def invoke_command(req: Request) -> Response:
    state = page_state(req)
    cmdlet_input = (req.body or {}).get("CmdletInput") if isinstance(req.body, dict) else None
    if not isinstance(cmdlet_input, dict) or not isinstance(cmdlet_input.get("CmdletName"), str):
        if state is None:
            raise cmdlet_error(400, "BadRequest", PARAMETER_ERR, "The request body must carry CmdletInput.CmdletName.")
        cmdlet_input = state["input"]
    return run_cmdlet(req, cmdlet_input, state["offset"] if state else 0)


@route("exchange", "GET", r"/adminapi/beta/(?P<tenant_ref>[^/]+)/InvokeCommand", MANAGE_AS_APP)
def invoke_command_next_page(req: Request) -> Response:
    """Some clients follow ``@odata.nextLink`` with a GET and no body; the token carries the cmdlet."""
    state = page_state(req)
    if state is None:
        raise ApiError(405, "MethodNotAllowed", "Invalid Operation")
    return run_cmdlet(req, state["input"], state["offset"])


@route("exchange", "POST", r"/adminapi/v1\.0/(?P<tenant_ref>[^/]+)/InvokeCommand", MANAGE_AS_APP)
def invoke_command_v1(req: Request) -> Response:
    raise ApiError(405, "MethodNotAllowed", "Invalid Operation")   # only adminapi/beta answers (observed)


def page_state(req: Request) -> dict | None:
    token = req.query.get("$skiptoken")
    return decode_token(token, invalid_value("The $skiptoken is not valid.")) if token else None


def run_cmdlet(req: Request, cmdlet_input: dict, offset: int) -> Response:
    require_exchange_role(req)
    name = cmdlet_input["CmdletName"]
    cmdlet = CMDLETS.get(name.lower())
    if cmdlet is None or (cmdlet.writes and app_role(req) not in RECIPIENT_WRITERS):
        return unknown_cmdlet_response()
    parameters = bind_parameters(cmdlet, cmdlet_input.get("Parameters") or {})
    apply_due_writes(req.tenant)
    return cmdlet.run(req, parameters, cmdlet_input, offset)


def app_role(req: Request) -> str | None:
    app = req.tenant.apps.get(req.caller.app_id.lower()) if req.caller else None
    return app.exchange_role if app else None


def require_exchange_role(req: Request) -> None:
    role = app_role(req)
    if role not in SUPPORTED_ROLES:
        app_id = req.caller.app_id if req.caller else ""
        raise ApiError(401, "UnAuthorized",
                       f"The role assigned to application {app_id} isn't supported in this scenario. Please check "
                       "online documentation for assigning correct Directory Roles to Azure AD Application for "
                       "EXO App-Only Authentication.",
                       details=[{"code": "Client", "target": "", "message": "UnAuthorized"}])


class Cmdlet:
    def __init__(self, name: str, parameters: set, run, writes: bool = False):
        self.name, self.parameters, self.run, self.writes = name, parameters | COMMON_PARAMETERS, run, writes
        self.lookup = {p.lower(): p for p in self.parameters}


def bind_parameters(cmdlet: Cmdlet, given: dict) -> dict:
    """PowerShell binds parameter names case-insensitively; an unknown one is refused."""
    if not isinstance(given, dict):
        raise invalid_value("Parameters must be an object.")
    bound = {}
    for name, value in given.items():
        canonical = cmdlet.lookup.get(name.lower())
        if canonical is None:
            raise unknown_parameter(name)
        bound[canonical] = value
    return bound


# --------------------------------------------------------------------------------------------
# Delayed writes
# --------------------------------------------------------------------------------------------

def apply_due_writes(tenant: Tenant, now: float | None = None) -> None:
    if not tenant.pending_exchange:
        return
    now = time.monotonic() if now is None else now
    due = [w for w in tenant.pending_exchange if w[0] <= now]
    for _, user_id, field_name, value in due:
        user = tenant.users.get(user_id)
        if user and "_exchange" in user:
            user["_exchange"][field_name] = value
    tenant.pending_exchange[:] = [w for w in tenant.pending_exchange if w[0] > now]


def schedule_write(req: Request, user: dict, field_name: str, value) -> None:
    delay = float(req.world.settings.get("exchange_write_delay") or 0)
    if delay <= 0:
        user["_exchange"][field_name] = value
    else:
        req.tenant.pending_exchange.append((time.monotonic() + delay, user["id"], field_name, value))


# --------------------------------------------------------------------------------------------
# Reading recipients: identity, OPATH filter, paging, $select
# --------------------------------------------------------------------------------------------

# The -Identity forms Set-MailUser and Get-MailUser document: "Name, Alias, Distinguished name (DN),
# Canonical DN, Email address, GUID" (https://learn.microsoft.com/powershell/module/exchange/set-mailuser,
# https://learn.microsoft.com/powershell/module/exchange/get-mailuser).  Anything else - the Entra object id
# (ExternalDirectoryObjectId), a display name - finds nothing, so the cmdlet answers "couldn't be found".
IDENTITY_KEYS = ("Name", "Alias", "DistinguishedName", "Guid")
EMAIL_KEYS = ("PrimarySmtpAddress", "WindowsEmailAddress", "ExternalEmailAddress")


def canonical_name(distinguished_name: str) -> str:
    """``CN=a,OU=b,OU=c,DC=x,DC=y`` as the canonical DN ``x.y/c/b/a``."""
    parts = [part.split("=", 1)[1] for part in distinguished_name.split(",") if "=" in part]
    kinds = [part.split("=", 1)[0].upper() for part in distinguished_name.split(",") if "=" in part]
    domain = ".".join(p for p, k in zip(parts, kinds) if k == "DC")
    path = [p for p, k in zip(parts, kinds) if k != "DC"]
    return "/".join([domain, *reversed(path)])


def matches_identity(recipient: dict, identity: str) -> bool:
    wanted = identity.strip().lower()
    if "/" in wanted:
        return canonical_name(recipient.get("DistinguishedName") or "").lower() == wanted
    if any((recipient.get(key) or "").lower() == wanted for key in IDENTITY_KEYS):
        return True
    if "@" not in wanted:
        return False
    addresses = [recipient.get(key) or "" for key in EMAIL_KEYS] + list(recipient.get("EmailAddresses") or [])
    return any(address.lower().split(":", 1)[-1] == wanted for address in addresses if address)


def mail_users(tenant: Tenant) -> list[dict]:
    return [u["_exchange"] for u in list(tenant.users.values()) if "_exchange" in u]


def find_mail_user(tenant: Tenant, identity: str) -> dict:
    user = next((u for u in list(tenant.users.values())
                 if "_exchange" in u and matches_identity(u["_exchange"], identity)), None)
    if user is None:
        raise object_not_found(tenant, identity)
    return user


_OPATH_CLAUSE = re.compile(r"^\s*\(?\s*(?P<prop>\w+)\s+-(?P<op>eq|ne|like|notlike)\s+"
                           r"(?P<value>'[^']*'|\"[^\"]*\"|\$true|\$false|\$null|[^\s)]+)\s*\)?\s*$", re.I)


def compile_opath(text: str | None, sample_keys: set):
    """The small OPATH subset clients use: ``Prop -eq|-ne|-like|-notlike value`` joined by ``-and``."""
    if not text:
        return lambda recipient: True
    clauses = []
    for part in re.split(r"\s+-and\s+", text.strip(), flags=re.I):
        match = _OPATH_CLAUSE.match(part)
        if not match:
            raise invalid_value(f"Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": "
                                f"\"Invalid filter syntax: '{text}'.\"")
        prop = next((k for k in sample_keys if k.lower() == match["prop"].lower()), None)
        if prop is None:
            raise invalid_value(f"Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": "
                                f"\"'{match['prop']}' is not a recognized filterable property.\"")
        clauses.append(_opath_clause(prop, match["op"].lower(), _opath_literal(match["value"])))
    return lambda recipient: all(clause(recipient) for clause in clauses)


def _opath_literal(token: str):
    lowered = token.lower()
    if lowered in ("$true", "$false"):
        return lowered == "$true"
    if lowered == "$null":
        return None
    return token[1:-1] if token[0] in "'\"" else token


def _opath_clause(prop: str, op: str, literal):
    def text(value):
        return None if value is None else str(value).lower()

    def clause(recipient):
        actual = recipient.get(prop)
        if op in ("like", "notlike"):
            hit = actual is not None and fnmatch.fnmatchcase(text(actual), text(literal) or "")
        else:
            hit = text(actual) == text(literal)
        return hit if op in ("eq", "like") else not hit
    return clause


def recipient_page(req: Request, recipients: list, cmdlet_input: dict, offset: int) -> Response:
    size = page_size(req)
    chunk = recipients[offset:offset + size]
    body = {"@odata.context": f"{exchange_root(req)}/$metadata#Collection(Exchange.GenericHashTable)",
            "@adminapi.warnings": [], "value": [select_fields(req, r) for r in chunk]}
    if offset + size < len(recipients):
        query = {k: v for k, v in req.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = encode_token({"input": cmdlet_input, "offset": offset + size})
        body["@odata.nextLink"] = f"{exchange_root(req)}/InvokeCommand?{urlencode(query, safe='$,')}"
    return Response(200, body)


def page_size(req: Request) -> int:
    match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", req.headers.get("prefer", ""), re.I)
    return max(1, int(match.group(1))) if match else DEFAULT_PAGE_SIZE


def exchange_root(req: Request) -> str:
    return f"{req.base_url.rstrip('/')}{EXCHANGE_PREFIX}/adminapi/beta/{quote(req.tenant.id)}"


def select_fields(req: Request, recipient: dict) -> dict:
    raw = req.query.get("$select")
    if not raw:
        return dict(recipient)
    wanted = {name.strip().lower() for name in raw.split(",")}
    return {k: v for k, v in recipient.items() if k.lower() in wanted}


# --------------------------------------------------------------------------------------------
# Cmdlets
# --------------------------------------------------------------------------------------------

RECIPIENT_TYPE_DETAILS = {"GuestMailUser", "MailUser", "RemoteUserMailbox", "MailContact"}


def _type_details(value) -> set | None:
    if value is None:
        return None
    names = value if isinstance(value, list) else str(value).split(",")
    wanted = {n.strip() for n in names if n.strip()}
    unknown = [n for n in wanted if n.lower() not in {t.lower() for t in RECIPIENT_TYPE_DETAILS}]
    if unknown:
        raise invalid_value(f"Cannot process argument transformation on parameter 'RecipientTypeDetails'. "
                            f"Cannot convert value \"{unknown[0]}\" to type "
                            f"\"Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails\".")
    return {n.lower() for n in wanted}


def _select_recipients(req: Request, recipients: list, parameters: dict) -> list:
    if parameters.get("Identity"):
        return [r for r in recipients if matches_identity(r, str(parameters["Identity"]))]
    kinds = _type_details(parameters.get("RecipientTypeDetails"))
    keys = set(recipients[0]) if recipients else set()
    matches = compile_opath(parameters.get("Filter"), keys or {"RecipientTypeDetails", "HiddenFromAddressListsEnabled"})
    return [r for r in recipients if (kinds is None or r["RecipientTypeDetails"].lower() in kinds) and matches(r)]


def get_mail_user(req: Request, parameters: dict, cmdlet_input: dict, offset: int) -> Response:
    found = _select_recipients(req, mail_users(req.tenant), parameters)
    if parameters.get("Identity") and not found:
        raise object_not_found(req.tenant, str(parameters["Identity"]))
    return recipient_page(req, found, cmdlet_input, offset)


def get_mail_contact(req: Request, parameters: dict, cmdlet_input: dict, offset: int) -> Response:
    found = _select_recipients(req, list(req.tenant.mail_contacts.values()), parameters)
    if parameters.get("Identity") and not found:
        raise object_not_found(req.tenant, str(parameters["Identity"]))
    return recipient_page(req, found, cmdlet_input, offset)


def parse_boolean(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower().lstrip("$") in ("true", "false"):
        return value.strip().lower().lstrip("$") == "true"
    raise invalid_value(f"Cannot process argument transformation on parameter '{name}'. "
                        f"Cannot convert value \"{value}\" to type \"System.Boolean\".")


def set_mail_user(req: Request, parameters: dict, cmdlet_input: dict, offset: int) -> Response:
    if not parameters.get("Identity"):
        raise cmdlet_error(400, "BadRequest", PARAMETER_ERR,
                           "Cannot process command because of one or more missing mandatory parameters: Identity.")
    changes = {}
    if "HiddenFromAddressListsEnabled" in parameters:
        changes["HiddenFromAddressListsEnabled"] = parse_boolean("HiddenFromAddressListsEnabled",
                                                                 parameters["HiddenFromAddressListsEnabled"])
    with req.world.lock:
        user = find_mail_user(req.tenant, str(parameters["Identity"]))
        old = {name: user["_exchange"].get(name) for name in changes}
        for name, value in changes.items():
            schedule_write(req, user, name, value)
        audit.record(req, audit.CATEGORY_USER, audit.ACTIVITY_USER_UPDATE, user_target(user), old, changes,
                     additional_details={"Cmdlet": "Set-MailUser"})
    return Response(200, {"@odata.context": f"{exchange_root(req)}/$metadata#Collection(Exchange.GenericHashTable)",
                          "@adminapi.warnings": [], "value": []})


_READ_PARAMETERS = {"Identity", "RecipientTypeDetails", "Filter", "ResultSize"}
CMDLETS = {c.name.lower(): c for c in (
    Cmdlet("Get-MailUser", _READ_PARAMETERS, get_mail_user),
    Cmdlet("Get-MailContact", _READ_PARAMETERS, get_mail_contact),
    Cmdlet("Set-MailUser", {"Identity", "HiddenFromAddressListsEnabled"}, set_mail_user, writes=True),
)}
