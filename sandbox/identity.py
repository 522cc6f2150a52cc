"""The login service: OIDC discovery, JWKS, the v2.0 client-credentials token endpoint (secret,
certificate and federated assertions), an App Service style managed-identity endpoint, and the
verification of the access tokens it issues (used by the server for Graph and Exchange)."""
from __future__ import annotations

import base64
import hmac
import threading
import time
import uuid
from urllib.parse import unquote

import jwt

from .certs import thumbprints
from .clock import utc_timestamp
from .core import ApiError, App, Caller, Request, Response, Tenant, route

GRAPH_AUDIENCES = ("https://graph.microsoft.com", "https://graph.microsoft.us", "https://dod-graph.microsoft.us",
                   "https://microsoftgraph.chinacloudapi.cn", "00000003-0000-0000-c000-000000000000")
EXCHANGE_AUDIENCES = ("https://outlook.office365.com", "https://outlook.office365.us", "https://webmail.apps.mil",
                      "https://partner.outlook.cn", "00000002-0000-0ff1-ce00-000000000000")
AUDIENCES = {"graph": GRAPH_AUDIENCES, "exchange": EXCHANGE_AUDIENCES}
EXCHANGE_ROLE = "Exchange.ManageAsApp"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256"]
TENANT_SEGMENT = r"(?P<tenant>[^/]+)"


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def oauth_error(status: int, error: str, code: int, text: str) -> ApiError:
    """An AADSTS error in the token endpoint's wire shape (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = utc_timestamp(sep=" ")
    description = (f"AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}"
                   f"\r\nTimestamp: {timestamp}")
    return ApiError(status, error, description, body={
        "error": error, "error_description": description, "error_codes": [code], "timestamp": timestamp,
        "trace_id": trace_id, "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}"})


def tenant_not_found(name: str) -> ApiError:
    return oauth_error(400, "invalid_tenant", 90002,
                       f"Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are signing "
                       "into the correct cloud. Check with your subscription administrator, this may happen if there "
                       "are no active subscriptions for the tenant.")


def resolve_tenant(req: Request) -> Tenant:
    name = unquote(req.match["tenant"])
    tenant = req.world.find_tenant(name)
    if tenant is None:
        raise tenant_not_found(name)
    req.tenant = tenant
    return tenant


# ---------------------------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------------------------

@route("login", "GET", f"/{TENANT_SEGMENT}/v2\\.0/\\.well-known/openid-configuration")
def openid_configuration(req: Request) -> Response:
    segment = unquote(req.match["tenant"])
    if segment.lower() in ("common", "organizations"):
        tid = "{tenantid}"
    else:
        tid = resolve_tenant(req).id
    base = req.base_url
    return Response(200, {
        "token_endpoint": f"{base}/{segment}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/devicecode",
        "http_logout_supported": True, "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{segment}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles", "appid", "azp"],
        "tenant_region_scope": "WW", "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net", "msgraph_host": "graph.microsoft.com",
    })


@route("login", "GET", f"/{TENANT_SEGMENT}/discovery/v2\\.0/keys")
def keys(req: Request) -> Response:
    return Response(200, req.world.runtime.keys.jwks())


@route("login", "GET", "/common/discovery/instance")
def instance_discovery(req: Request) -> Response:
    host = req.base_url.split("://", 1)[-1]
    return Response(200, {
        "tenant_discovery_endpoint": f"{req.base_url}/common/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})


# ---------------------------------------------------------------------------------------------
# token endpoint
# ---------------------------------------------------------------------------------------------

@route("login", "POST", f"/{TENANT_SEGMENT}/oauth2/v2\\.0/token")
def token(req: Request) -> Response:
    tenant = resolve_tenant(req)
    form = dict(req.body or {}) if isinstance(req.body, dict) else {}
    form.update(_basic_credentials(req.headers.get("authorization", "")))
    for name in ("grant_type", "client_id", "scope"):
        if not form.get(name):
            raise oauth_error(400, "invalid_request", 900144,
                              f"The request body must contain the following parameter: '{name}'.")
    if form["grant_type"] != "client_credentials":
        raise oauth_error(400, "unsupported_grant_type", 70003,
                          "The app requested an unsupported grant type 'client_credentials' only.")
    app = tenant.apps.get(form["client_id"].lower())
    if app is None:
        raise oauth_error(400, "unauthorized_client", 700016,
                          f"Application with identifier '{form['client_id']}' was not found in the directory "
                          f"'{tenant.display_name}'. This can happen if the application has not been installed by "
                          "the administrator of the tenant or consented to by any user in the tenant. You may have "
                          "sent your authentication request to the wrong tenant.")
    resource = scope_resource(form["scope"])
    authenticate_client(req, tenant, app, form)
    access_token, lifetime = issue_token(req.world, tenant, app, resource)
    return Response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                          "access_token": access_token})


def _basic_credentials(authorization: str) -> dict:
    if not authorization.lower().startswith("basic "):
        return {}
    try:
        client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": unquote(client_id), "client_secret": unquote(secret)}


def scope_resource(scope: str) -> str:
    """The resource of a single-resource ``/.default`` scope, or AADSTS70011."""
    scopes = scope.split()
    if len(scopes) == 1 and scopes[0].endswith("/.default"):
        resource = scopes[0][: -len("/.default")].rstrip("/")
        if resource in GRAPH_AUDIENCES or resource in EXCHANGE_AUDIENCES:
            return resource
    raise oauth_error(400, "invalid_scope", 70011,
                      f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.")


def authenticate_client(req: Request, tenant: Tenant, app: App, form: dict) -> None:
    if form.get("client_secret"):
        if not any(hmac.compare_digest(form["client_secret"], s) for s in app.secrets):
            raise oauth_error(401, "invalid_client", 7000215,
                              "Invalid client secret provided. Ensure the secret being sent in the request is the "
                              "client secret value, not the client secret ID, for a secret added to app "
                              f"'{app.client_id}'.")
        return
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != JWT_BEARER:
            raise oauth_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'client_assertion_type'.")
        verify_client_assertion(req, tenant, app, form["client_assertion"])
        return
    raise oauth_error(400, "invalid_client", 7000218,
                      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")


def verify_client_assertion(req: Request, tenant: Tenant, app: App, assertion: str) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise oauth_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.") from None
    if unverified.get("iss", "").lower() == app.client_id.lower():
        key, audiences = certificate_key(app, header), token_endpoint_urls(req, tenant)
    else:
        key, audiences = federated_key(app, unverified)
    try:
        claims = jwt.decode(assertion, key, algorithms=ASSERTION_ALGORITHMS, audience=audiences,
                            options={"require": ["exp", "aud", "iss", "sub"]})
    except jwt.ExpiredSignatureError:
        raise oauth_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range.") from None
    except jwt.ImmatureSignatureError:
        raise oauth_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range.") from None
    except jwt.InvalidAudienceError:
        raise oauth_error(401, "invalid_client", 700212,
                          f"No matching federated identity record found for presented assertion audience "
                          f"'{unverified.get('aud')}'.") from None
    except jwt.PyJWTError:
        raise oauth_error(401, "invalid_client", 700027, "Client assertion failed signature validation.") from None
    if claims["iss"].lower() == app.client_id.lower() and claims["sub"].lower() != app.client_id.lower():
        raise oauth_error(401, "invalid_client", 700023,
                          "Client assertion audience claim does not match Realm issuer.")


def certificate_key(app: App, header: dict):
    wanted = {header.get("x5t", "").rstrip("="), header.get("x5t#S256", "").rstrip("=")} - {""}
    for pem in app.certificates:
        sha1, sha256, public_key = _cert_info(pem)
        if wanted & {sha1, sha256}:
            return public_key
    raise oauth_error(401, "invalid_client", 700027,
                      f"Client assertion failed signature validation. (Reason - The key was not found., "
                      f"Thumbprint of key used by client: '{next(iter(wanted), '')}')")


_CERT_CACHE: dict = {}
_CERT_LOCK = threading.Lock()


def _cert_info(pem: str):
    with _CERT_LOCK:
        if pem not in _CERT_CACHE:
            _CERT_CACHE[pem] = thumbprints(pem)
        return _CERT_CACHE[pem]


def token_endpoint_urls(req: Request, tenant: Tenant) -> list:
    """A certificate assertion's ``aud`` may name the token endpoint by tenant id or any verified domain."""
    return [f"{req.base_url}/{name}/oauth2/v2.0/token" for name in [tenant.id, *tenant.domains, req.match["tenant"]]]


def federated_key(app: App, claims: dict):
    issuer, subject = claims.get("iss", ""), claims.get("sub", "")
    by_issuer = [f for f in app.federated if f.get("issuer") == issuer]
    if not by_issuer:
        raise oauth_error(401, "invalid_client", 70021,
                          f"No matching federated identity record found for presented assertion. Assertion Issuer: "
                          f"'{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{claims.get('aud')}'.")
    for credential in by_issuer:
        if credential.get("subject") == subject:
            return credential["public_key_pem"], [credential.get("audience") or DEFAULT_FEDERATED_AUDIENCE]
    raise oauth_error(401, "invalid_client", 700213,
                      f"No matching federated identity record found for presented assertion subject '{subject}'. "
                      "Please note that the matching is done using a case-sensitive comparison. Check your "
                      "federated identity credential Subject, Audience and Issuer against the presented assertion.")


# ---------------------------------------------------------------------------------------------
# access tokens
# ---------------------------------------------------------------------------------------------

def token_lifetime(world, tenant: Tenant) -> int:
    override = world.runtime.faults.token_lifetime(tenant) if world.runtime else None
    return int(override if override is not None else world.settings.get("token_lifetime", 3600))


def roles_for(app: App, resource: str) -> list:
    if resource in EXCHANGE_AUDIENCES:
        return [EXCHANGE_ROLE] if EXCHANGE_ROLE in app.roles else []
    return sorted(r for r in app.roles if not r.startswith("Exchange."))


def issue_token(world, tenant: Tenant, app: App, resource: str) -> tuple[str, int]:
    lifetime = token_lifetime(world, tenant)
    now = int(time.time())
    claims = {"aud": resource, "iss": f"https://sts.windows.net/{tenant.id}/", "iat": now, "nbf": now,
              "exp": now + lifetime, "tid": tenant.id, "appid": app.client_id, "azp": app.client_id,
              "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.id}/{app.client_id}")), "sub": app.client_id,
              "app_displayname": app.display_name, "idtyp": "app", "ver": "1.0", "roles": roles_for(app, resource)}
    keys = world.runtime.keys
    return jwt.encode(claims, keys.signing_key, algorithm="RS256", headers={"kid": keys.kid, "x5t": keys.kid}), lifetime


class TokenVerifier:
    """Verifies bearer tokens; a signature is checked once per token, the time window every time."""

    def __init__(self, public_key):
        self.public_key = public_key
        self._cache: dict = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str, service: str) -> dict:
        if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            raise unauthenticated("Access token is empty.")
        token = authorization[7:].strip()
        claims = self._cache.get(token)
        if claims is None:
            try:
                claims = jwt.decode(token, self.public_key, algorithms=["RS256"],
                                    options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                             "require": ["exp", "nbf", "aud", "tid"]})
            except jwt.PyJWTError:
                raise unauthenticated("Access token validation failure. Invalid signature.") from None
            with self._lock:
                if len(self._cache) > 50_000:
                    self._cache.clear()
                self._cache[token] = claims
        now = time.time()
        if not claims["nbf"] - 300 <= now < claims["exp"]:
            raise unauthenticated("Access token has expired or is not yet valid.")
        if claims["aud"] not in AUDIENCES[service]:
            raise unauthenticated("Invalid audience.")
        return claims


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "InvalidAuthenticationToken", message, headers={
        "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
                            'authorize", client_id="00000003-0000-0000-c000-000000000000"'})


def caller_from(claims: dict, tenant: Tenant) -> Caller:
    app = tenant.apps.get(claims["appid"].lower())
    return Caller(tenant_id=tenant.id, app_id=claims["appid"], audience=claims["aud"],
                  roles=frozenset(claims.get("roles") or ()), display_name=app.display_name if app else "")


# ---------------------------------------------------------------------------------------------
# managed identity (App Service style: IDENTITY_ENDPOINT + X-IDENTITY-HEADER)
# ---------------------------------------------------------------------------------------------

@route("msi", "GET", "/token")
def managed_identity_token(req: Request) -> Response:
    world = req.world
    if not hmac.compare_digest(req.headers.get("x-identity-header", ""), world.runtime.msi_secret):
        raise ApiError(401, "unauthorized", "X-IDENTITY-HEADER is missing or wrong.",
                       body={"statusCode": 401, "message": "X-IDENTITY-HEADER is missing or wrong."})
    resource = (req.query.get("resource") or "").rstrip("/")
    if resource not in GRAPH_AUDIENCES and resource not in EXCHANGE_AUDIENCES:
        raise ApiError(400, "invalid_resource", f"Resource '{resource}' is not valid.",
                       body={"statusCode": 400, "message": f"AADSTS500011: The resource '{resource}' was not found."})
    wanted = (req.query.get("client_id") or "").lower()
    for tenant in world.tenants.values():
        for app in tenant.apps.values():
            if app.managed_identity and (not wanted or app.client_id.lower() == wanted):
                req.tenant = tenant
                access_token, lifetime = issue_token(world, tenant, app, resource)
                return Response(200, {"access_token": access_token, "expires_on": str(int(time.time()) + lifetime),
                                      "resource": resource, "token_type": "Bearer", "client_id": app.client_id})
    raise ApiError(400, "invalid_request", "No managed identity found.",
                   body={"statusCode": 400, "message": "No managed identity found for the given client_id."})
