"""Every failure path at -vvvv, with ANSIBLE_LOG_PATH set: one line naming the tenant and the
option, and no secret, private key or token in stdout, stderr, the log file or the results.

Secrets come from a vars file, as in real use (vault, AWX); ansible-playbook -vvvv itself echoes
inline -e values, which is Ansible's behaviour, not the collection's."""
import json
import re

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import run_playbook

READ = {"name": "read", "tenantops.entra.cross_tenant_access_policy": {}}
WRITE = {"name": "write", "tenantops.entra.cross_tenant_access_policy": {"allowed_cloud_endpoints": ["microsoftonline.us"]}}
TOKEN = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.")


@pytest.fixture(scope="module")
def key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def endpoints(sandbox) -> dict:
    return {"login_endpoint": sandbox.login_url, "graph_endpoint": sandbox.graph_url,
            "exchange_endpoint": sandbox.exchange_url, "ca_bundle": sandbox.ca_file}


def failing_run(sandbox, collections_path, tmp_path, *, secrets: dict, connection: dict, tasks=(READ,)):
    """Run at -vvvv with the secrets in a vars file; return (run, everything it wrote, log entries)."""
    workdir = tmp_path / "play"
    workdir.mkdir()
    (workdir / "secrets.yml").write_text(yaml.safe_dump(secrets))
    log_file = workdir / "ansible.log"
    since = sandbox.requests_log()["last_seq"]
    run = run_playbook(sandbox, collections_path, list(tasks), connection=dict(endpoints(sandbox), **connection),
                       verbosity=4, diff=True, extra_vars=f"@{workdir / 'secrets.yml'}", workdir=str(workdir),
                       env={"ANSIBLE_LOG_PATH": str(log_file)})
    assert run.rc != 0, run.stdout
    written = "\n".join([run.stdout, run.stderr, log_file.read_text() if log_file.exists() else "",
                         json.dumps(run.results)])
    assert log_file.exists() and "read" in log_file.read_text()
    return run, written, [e for e in sandbox.requests_log(since)["entries"] if e["service"] != "control"]


def assert_nothing_secret(written: str, *secrets: str):
    for secret in secrets:
        assert secret not in written
        for line in secret.splitlines():
            if len(line) >= 16:
                assert line not in written
    assert not TOKEN.search(written), TOKEN.search(written)


def the_message(run) -> str:
    return run.task(run.results[0]["task"])["msg"]


def test_wrong_secret(sandbox, collections_path, tmp_path):
    contoso = sandbox.tenant("contoso")
    run, written = failing_run(sandbox, collections_path, tmp_path, secrets={"s": "Wr0ng~secret.value-123"},
                               connection={"tenant_id": contoso["id"], "client_id": contoso["client_id"],
                                           "client_secret": "{{ s }}"})[:2]
    assert the_message(run).startswith(f"tenant {contoso['id']}: could not get a token")
    assert "AADSTS7000215" in the_message(run)
    assert_nothing_secret(written, "Wr0ng~secret.value-123", contoso["client_secret"])


def test_client_id_and_secret_swapped_never_reach_login(sandbox, collections_path, tmp_path):
    contoso = sandbox.tenant("contoso")
    run, written, requests = failing_run(
        sandbox, collections_path, tmp_path, secrets={"id": contoso["client_id"], "s": contoso["client_secret"]},
        connection={"tenant_id": contoso["id"], "client_id": "{{ s }}", "client_secret": "{{ id }}"})
    assert the_message(run).startswith(f"tenant {contoso['id']}: invalid input: client_id: must be the application")
    assert requests == []
    assert_nothing_secret(written, contoso["client_secret"])


def test_tenant_id_neither_guid_nor_domain(sandbox, collections_path, tmp_path):
    contoso = sandbox.tenant("contoso")
    run, written, requests = failing_run(
        sandbox, collections_path, tmp_path, secrets={"s": contoso["client_secret"]},
        connection={"tenant_id": "контосо.рф", "client_id": contoso["client_id"], "client_secret": "{{ s }}"})
    assert the_message(run).startswith("tenant контосо.рф: invalid input: tenant_id: must be the tenant's id")
    assert requests == []
    assert_nothing_secret(written, contoso["client_secret"])


@pytest.mark.parametrize("content, expected", [
    ("key", "client_certificate_path: the PEM holds a private key but no certificate"),
    ("text", "client_certificate_path: neither a PEM with the private key and certificate nor a PKCS12 file"),
    (None, "client_certificate_path: cannot read"),
])
def test_certificate_files_that_cannot_work(sandbox, collections_path, tmp_path, key_pem, content, expected):
    contoso = sandbox.tenant("contoso")
    path = tmp_path / "cert.pem"
    if content:
        path.write_text(key_pem if content == "key" else "not a certificate\n")
    connection = {"tenant_id": contoso["id"], "client_id": contoso["client_id"], "client_certificate_path": str(path)}
    if content is None:
        connection["client_certificate_password"] = "{{ p }}"
    run, written, requests = failing_run(sandbox, collections_path, tmp_path, secrets={"p": "cert-PASSWORD-42"},
                                         connection=connection)
    assert the_message(run).startswith(f"tenant {contoso['id']}: invalid input: {expected}"), the_message(run)
    assert requests == []
    assert_nothing_secret(written, key_pem, "cert-PASSWORD-42")


def test_certificate_text_holding_only_the_key(sandbox, collections_path, tmp_path, key_pem):
    contoso = sandbox.tenant("contoso")
    run, written = failing_run(sandbox, collections_path, tmp_path, secrets={"pem": key_pem},
                               connection={"tenant_id": contoso["id"], "client_id": contoso["client_id"],
                                           "client_certificate": "{{ pem }}"})[:2]
    assert "invalid input: client_certificate: the PEM holds a private key but no certificate" in the_message(run)
    assert_nothing_secret(written, key_pem)


def test_login_outage(sandbox, collections_path, tmp_path):
    contoso = sandbox.tenant("contoso")
    sandbox.set_faults({"kind": "login_outage", "tenant": contoso["id"]})
    run, written = failing_run(sandbox, collections_path, tmp_path, secrets={"s": contoso["client_secret"]},
                               connection={"tenant_id": contoso["id"], "client_id": contoso["client_id"],
                                           "client_secret": "{{ s }}"})[:2]
    assert "could not get a token" in the_message(run) and "503" in the_message(run)
    assert_nothing_secret(written, contoso["client_secret"])


def test_throttled_past_the_budget_and_a_dropped_write(sandbox, collections_path, tmp_path):
    """Failures after login: the access token must not show either."""
    contoso = sandbox.tenant("contoso")
    sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 5, "service": "graph", "method": "GET"})
    connection = {"tenant_id": contoso["id"], "client_id": contoso["client_id"], "client_secret": "{{ s }}",
                  "max_retry_wait": 0}
    run, written = failing_run(sandbox, collections_path, tmp_path, secrets={"s": contoso["client_secret"]},
                               connection=connection, tasks=(WRITE,))[:2]
    assert "HTTP 429" in the_message(run)
    assert_nothing_secret(written, contoso["client_secret"])


def test_out_of_range_numbers_are_refused_before_any_request(sandbox, collections_path, tmp_path):
    contoso = sandbox.tenant("contoso")
    tasks = [{"name": "read", "tenantops.entra.mail_user_visibility": {"default": "hidden", "concurrency": 0},
              "ignore_errors": True},
             {"name": "timeout", "tenantops.entra.cross_tenant_access_policy": {"timeout": 0}, "ignore_errors": True},
             {"name": "wait", "tenantops.entra.cross_tenant_access_policy": {"max_retry_wait": -1}}]
    run, written, requests = failing_run(sandbox, collections_path, tmp_path, secrets={"s": contoso["client_secret"]},
                                         connection={"tenant_id": contoso["id"], "client_id": contoso["client_id"],
                                                     "client_secret": "{{ s }}"}, tasks=tasks)
    assert "invalid input: concurrency: must be between 1 and 20, got 0" in run.task("read")["msg"]
    assert "invalid input: timeout: must be more than 0 seconds" in run.task("timeout")["msg"]
    assert "invalid input: max_retry_wait: must be 0 seconds or more" in run.task("wait")["msg"]
    assert requests == []
    assert_nothing_secret(written, contoso["client_secret"])


def test_an_argument_spec_error(sandbox, collections_path, tmp_path):
    contoso = sandbox.tenant("contoso")
    tasks = [{"name": "read", "tenantops.entra.cross_tenant_access_policy": {"no_such_option": "{{ s }}"}}]
    run, written = failing_run(sandbox, collections_path, tmp_path, secrets={"s": contoso["client_secret"]},
                               connection={"tenant_id": contoso["id"], "client_id": contoso["client_id"],
                                           "client_secret": "{{ s }}"}, tasks=tasks)[:2]
    assert "no_such_option" in the_message(run)
    assert_nothing_secret(written, contoso["client_secret"])
