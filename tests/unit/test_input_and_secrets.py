"""Bad connection input refused before any request, naming the option; library exceptions as
one line; every configured secret and any token scrubbed from what the runner returns."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.tenantops.entra.plugins.module_utils import auth, errors, redact, runner
from ansible_collections.tenantops.entra.plugins.module_utils.entry import AUTH_ARGUMENT_SPEC

TENANT = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
CLIENT = "43b9d114-31a2-4dc0-9c17-28a877db2a86"
SECRET = "Xq8~s3cr3t.VALUE_with+specials/=="
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4eHh4eHh4eCJ9.c2lnbmF0dXJlc2lnbmF0dXJl"


def refused(**params) -> errors.InputError:
    params.setdefault("tenant_id", TENANT)
    with pytest.raises(errors.InputError) as err:
        auth.build_credential(auth.ConnectionSettings.from_params(params))
    return err.value


@pytest.fixture(scope="module")
def pem_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pem")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    (folder / "key-only.pem").write_bytes(key_pem)
    (folder / "not-pem.txt").write_text("just some text\n")
    (folder / "both.pem").write_bytes(key_pem + cert.public_bytes(serialization.Encoding.PEM))
    return folder, key_pem.decode()


@pytest.mark.parametrize("tenant", ["контосо.рф", "contoso", "a b.com", "-x.com", "contoso.123", "x" * 300 + ".com"])
def test_a_tenant_id_that_is_neither_guid_nor_domain_is_refused(tenant):
    err = refused(tenant_id=tenant, client_id=CLIENT, client_secret=SECRET)
    assert err.field == "tenant_id" and "GUID" in err.message


def test_an_internationalized_domain_is_told_its_ascii_form():
    assert "xn--" in refused(tenant_id="контосо.рф", client_id=CLIENT, client_secret=SECRET).message


@pytest.mark.parametrize("tenant", [TENANT, TENANT.upper(), "contoso.onmicrosoft.com", "xn--80aqf1ad.xn--p1ai",
                                    "sub.contoso-eu.com"])
def test_guids_and_domains_are_accepted(tenant):
    auth.ConnectionSettings.from_params({"tenant_id": tenant, "client_id": CLIENT, "client_secret": "s"})


def test_a_client_id_that_is_not_a_guid_is_refused_without_echoing_it():
    """client_id and client_secret swapped: the secret must never reach the login endpoint or the output."""
    err = refused(client_id=SECRET, client_secret=CLIENT)
    assert err.field == "client_id" and SECRET not in str(err)


@pytest.mark.parametrize("option, value, field", [("timeout", 0, "timeout"), ("timeout", -1, "timeout"),
                                                  ("max_retry_wait", -5, "max_retry_wait")])
def test_out_of_range_numbers_name_the_option(option, value, field):
    assert refused(client_id=CLIENT, client_secret="s", **{option: value}).field == field


def test_max_retry_wait_zero_means_no_waiting():
    settings = auth.ConnectionSettings.from_params({"tenant_id": TENANT, "client_id": CLIENT, "client_secret": "s",
                                                    "max_retry_wait": 0})
    assert settings.max_retry_wait == 0


def test_certificate_file_problems_name_the_option(pem_files, tmp_path):
    folder = pem_files[0]
    missing = refused(client_id=CLIENT, client_certificate_path=str(tmp_path / "nope.pem"))
    assert missing.field == "client_certificate_path" and "No such file" in missing.message
    not_pem = refused(client_id=CLIENT, client_certificate_path=str(folder / "not-pem.txt"))
    assert not_pem.field == "client_certificate_path" and "PKCS12" in not_pem.message
    key_only = refused(client_id=CLIENT, client_certificate_path=str(folder / "key-only.pem"))
    assert key_only.field == "client_certificate_path" and "no certificate" in key_only.message
    directory = refused(client_id=CLIENT, client_certificate_path=str(folder))
    assert directory.field == "client_certificate_path"


def test_certificate_text_problems_name_the_option_without_the_key(pem_files):
    key_pem = pem_files[1]
    err = refused(client_id=CLIENT, client_certificate=key_pem)
    assert err.field == "client_certificate" and key_pem.splitlines()[1] not in str(err)


def test_missing_federated_token_file_and_ca_bundle(tmp_path):
    token = refused(client_id=CLIENT, federated_token_file=str(tmp_path / "token"))
    assert token.field == "federated_token_file"
    ca = refused(client_id=CLIENT, client_secret="s", ca_bundle=str(tmp_path / "ca.pem"))
    assert ca.field == "ca_bundle"


def test_scrub_masks_secrets_in_every_form_and_every_token():
    secrets = redact.expand([SECRET])
    from urllib.parse import quote
    text = (f"AADSTS700016: Application with identifier '{SECRET}' was not found; "
            f"client_id={quote(SECRET, safe='')}; Authorization: Bearer {JWT}")
    result = redact.scrub({"msg": text, "warnings": [text], "diff": {"before": {SECRET: 1}}}, secrets)
    flat = str(result)
    assert SECRET not in flat and quote(SECRET, safe="") not in flat and JWT not in flat
    assert "AADSTS700016" in result["msg"] and redact.MASK in result["msg"]


def test_secret_values_include_the_private_key_lines_and_the_federated_token(pem_files, tmp_path):
    folder, key_pem = pem_files
    token = tmp_path / "token"
    token.write_text(JWT)
    values = redact.secret_values({"client_certificate_path": str(folder / "both.pem"),
                                   "federated_token_file": str(token), "client_certificate_password": "pw-123"})
    key_line = key_pem.splitlines()[2]
    assert key_line in values and JWT in values and "pw-123" in values
    assert not any("BEGIN CERTIFICATE" in v for v in values)     # the public certificate is not a secret


def test_no_log_values_come_from_the_spec():
    params = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET, "client_certificate_password": None}
    assert SECRET in redact.no_log_values(AUTH_ARGUMENT_SPEC, params)
    assert CLIENT not in redact.no_log_values(AUTH_ARGUMENT_SPEC, params)


class Unit:
    """A unit whose read fails with the service echoing the secret and a token."""

    @staticmethod
    def validate(params, tenant_id):
        pass

    @staticmethod
    async def read(session, params):
        raise errors.AuthError(f"could not get a token: AADSTS7000215: Invalid client secret '{SECRET}' {JWT}")


class Broken(Unit):
    @staticmethod
    async def read(session, params):
        raise KeyError("a library's surprise")


def test_the_runner_scrubs_every_result(monkeypatch):
    monkeypatch.setattr(runner, "Session", FakeSession)
    result = runner.run(Unit, {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET},
                        check_mode=False, diff_mode=True)
    assert result["failed"] and "AADSTS7000215" in result["msg"]
    assert SECRET not in str(result) and JWT not in str(result)


def test_an_unexpected_exception_is_one_line_naming_the_tenant(monkeypatch):
    monkeypatch.setattr(runner, "Session", FakeSession)
    result = runner.run(Broken, {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET},
                        check_mode=False, diff_mode=False)
    assert result["msg"] == f"tenant {TENANT}: unexpected KeyError: \"a library's surprise\""
    assert "Traceback" in result["exception"]


class FakeSession:
    def __init__(self, settings, check_mode):
        pass

    async def close(self):
        pass
