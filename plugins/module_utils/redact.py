"""Secrets never echoed: the one function every result, message, warning and diff passes through.

:func:`scrub` replaces each configured secret value - and the forms a service or library may
echo it in (URL- or JSON-escaped, one line of a PEM) - and every bearer token or JWT with
``********``.  The runner applies it to every result; the fleet runner calls the same function.

    result = scrub(result, secret_values(params))
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote, quote_plus

MASK = "********"
# Options whose values are secrets (the connection options of every module).
SECRET_OPTIONS = ("client_secret", "client_certificate", "client_certificate_password")
# Files whose contents are secrets: the federated token and a certificate's private key.
SECRET_FILES = ("federated_token_file", "client_certificate_path")
# An access or federated token anywhere in a text (JWS compact form), and a bearer header.
TOKEN_PATTERN = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*|(?i:bearer)\s+[\w.~+/=-]{16,}")
# Lines of a PEM shorter than this are headers or padding, not key material.
MIN_PEM_LINE = 16
MAX_SECRET_FILE = 1 << 20


def secret_values(params: dict) -> list:
    """The secret strings configured in ``params`` (a module's options), longest first."""
    values = [params.get(name) for name in SECRET_OPTIONS]
    for name in SECRET_FILES:
        values.append(_file_text(params.get(name)))
    return expand(values)


def no_log_values(spec: dict, params: dict) -> list:
    """Values of the options an argument spec marks ``no_log``, suboptions included (what
    Ansible's own masking uses, computed from the spec rather than a private attribute)."""
    found: list = []
    for name, option in (spec or {}).items():
        value = (params or {}).get(name)
        if value is None:
            continue
        if option.get("no_log"):
            found.extend(value if isinstance(value, (list, tuple)) else [value])
        suboptions = option.get("options")
        if suboptions:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    found.extend(no_log_values(suboptions, item))
    return expand(found)


def expand(values) -> list:
    """Each secret with the escaped forms it may be echoed in, and each key line of a PEM."""
    forms: set = set()
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        text = str(value)
        if not text.strip():
            continue
        lines = [line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_PEM_LINE]
        for form in [text.strip(), *lines]:
            forms.update({form, quote(form, safe=""), quote_plus(form), json.dumps(form)[1:-1]})
    return sorted(forms, key=len, reverse=True)


def scrub(obj, secrets: list):
    """``obj`` (str, dict, list, tuple; other values as they are) with every secret and token masked.
    Dict keys are scrubbed too."""
    if isinstance(obj, str):
        return _scrub_text(obj, secrets)
    if isinstance(obj, dict):
        return {scrub(key, secrets): scrub(value, secrets) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(scrub(item, secrets) for item in obj)
    return obj


def _scrub_text(text: str, secrets: list) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return TOKEN_PATTERN.sub(MASK, text)


def _file_text(path) -> str | None:
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SECRET_FILE)
    except OSError:
        return None
    text = data.decode("utf-8", "replace")
    # Only the private key of a certificate file is secret; its certificate part is public.
    keys = re.findall(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", text, re.S)
    if "-----BEGIN" in text:
        return "\n".join(keys) or None
    return text
