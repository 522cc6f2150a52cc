"""The HTTPS server: one port, services by path prefix, HTTP/1.1 keep-alive, a thread per connection.

Per request: parse → authenticate (Graph/Exchange bearer tokens) → dispatch (route, permissions,
faults, handler; see ``dispatch.py``) → write the response → record it in the request log.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import identity
from .core import ApiError, Request, Response
from .dispatch import DropConnection, Runtime, add_service_headers, handle, render_error

log = logging.getLogger("sandbox")

PREFIXES = (("/graph", "graph"), ("/exchange", "exchange"), ("/_control", "control"), ("/msi", "msi"))
AUTHENTICATED = ("graph", "exchange")
EXCHANGE_TENANT = re.compile(r"^/adminapi/[^/]+/(?P<tenant>[^/]+)(/|$)", re.I)
IDLE_TIMEOUT = 60


def split_service(path: str) -> tuple[str, str]:
    """('graph', '/v1.0/x') for '/graph/v1.0/x'; paths without a known prefix belong to login."""
    for prefix, service in PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return service, path[len(prefix):] or "/"
    return "login", path


def parse_body(service: str, content_type: str, raw: bytes):
    if not raw:
        return None
    if service == "login" or "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "BadRequest", "Invalid JSON in the request body.") from None


def authenticate(req: Request) -> None:
    """Set req.caller and req.tenant from the bearer token, or raise 401."""
    runtime = req.world.runtime
    claims = runtime.verifier.verify(req.headers.get("authorization", ""), req.service)
    tenant = req.world.find_tenant(claims["tid"])
    if tenant is None:
        raise identity.unauthenticated("The tenant of the access token was not found.")
    if req.service == "exchange":
        match = EXCHANGE_TENANT.match(req.path)
        named = req.world.find_tenant(match["tenant"]) if match else None
        if named is None or named.id != tenant.id:
            raise identity.unauthenticated("The tenant in the request URL does not match the access token's tenant.")
    req.tenant = tenant
    req.caller = identity.caller_from(claims, tenant)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # the request log replaces the stderr access log
        log.debug(format, *args)

    def do_GET(self):
        self.serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def serve(self) -> None:
        started = time.monotonic()
        runtime: Runtime = self.server.runtime
        url = urlsplit(self.path)
        service, path = split_service(url.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        req = Request(service=service, method=self.command, path=path, query=dict(parse_qsl(url.query)),
                      headers={k.lower(): v for k, v in self.headers.items()}, body=None, world=runtime.world,
                      base_url=runtime.base_url)
        if len(raw) < length:
            # The client went away before its body arrived (killed mid-request): like any HTTP server,
            # never dispatch it (an empty PUT would otherwise have been taken as a body); log it unanswered.
            self.close_connection = True
            runtime.log.record(req, 0, time.monotonic() - started)
            return
        try:
            response = self.respond(req, raw)
        except DropConnection:
            self.close_connection = True
            runtime.log.record(req, 0, time.monotonic() - started)
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.write(response)
        runtime.log.record(req, response.status, time.monotonic() - started)

    def respond(self, req: Request, raw: bytes) -> Response:
        try:
            if req.service == "control" and self.client_address[0] not in ("127.0.0.1", "::1"):
                raise ApiError(403, "Forbidden", "The control API answers loopback clients only.")
            req.body = parse_body(req.service, req.headers.get("content-type", ""), raw)
            if req.service in AUTHENTICATED:
                authenticate(req)
        except ApiError as err:
            response = render_error(req, err)
            add_service_headers(req, response)
            return response
        return handle(req)

    def write(self, response: Response) -> None:
        body = response.body
        if isinstance(body, (dict, list)):
            payload = json.dumps(body, separators=(",", ":")).encode()
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body or b""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, runtime: Runtime, port: int = 0):
        super().__init__(("127.0.0.1", port), SandboxHandler)
        self.runtime = runtime
        self.ssl_context = runtime.keys.ssl_context()
        runtime.base_url = f"https://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return self.server_address[1]

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so a slow client cannot
        # stall the accept loop.
        try:
            request = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as err:
            log.debug("TLS handshake with %s failed: %s", client_address, err)
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


def start_in_thread(server: SandboxServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="sandbox-server", daemon=True)
    thread.start()
    return thread


def load_services() -> None:
    """Importing a service module registers its routes."""
    from . import control, exchange, graph, identity  # noqa: F401


def create_sandbox(seed_path: str, *, port: int = 0, state_dir: str | None = None) -> SandboxServer:
    """Keys, world, runtime and a bound (not yet serving) server for a seed file."""
    from . import certs
    from .seed import build_world, load_seed
    load_services()
    state_dir = state_dir or tempfile.mkdtemp(prefix="tenantops-sandbox-")
    keys = certs.generate(state_dir)
    seed = load_seed(seed_path)
    runtime = Runtime(build_world(seed), keys, seed, msi_secret=secrets.token_urlsafe(24))
    runtime.faults.replace(seed.faults)
    return SandboxServer(runtime, port)


def ready_info(server: SandboxServer) -> dict:
    """The ready JSON (docs/SANDBOX_CONTRACT.md)."""
    from .seed import ready_tenants
    runtime = server.runtime
    base = runtime.base_url
    return {"login_url": base, "graph_url": f"{base}/graph", "exchange_url": f"{base}/exchange",
            "control_url": f"{base}/_control", "ca_file": runtime.keys.ca_file, "msi_url": f"{base}/msi/token",
            "msi_secret": runtime.msi_secret, "tenants": ready_tenants(runtime.seed)}
