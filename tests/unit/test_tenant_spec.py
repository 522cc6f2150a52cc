"""The tenant's typed shape has one source (module_utils/tenant/spec.py): the doc fragment and the
role's argument spec generated from it must be current, and the spec must refuse a misspelt key."""
import os
import subprocess
import sys

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantops.entra.plugins.module_utils.resources.cross_tenant_settings import PARTNER_BLOCKS
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import spec

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_generated_docs_and_role_spec_are_current():
    completed = subprocess.run([sys.executable, os.path.join(REPO, "tools", "gen_tenant_spec.py"), "--check"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_partner_block_is_typed_with_suboptions():
    partner = spec.layer_options()["partners"]["options"]
    for option in PARTNER_BLOCKS:
        assert partner[option]["type"] == "dict" and partner[option]["options"], option


def test_the_spec_refuses_a_misspelt_key_and_a_bad_choice():
    validator = ArgumentSpecValidator(spec.argspec(spec.layer_options()))
    result = validator.validate({"guest_invitation": {"allow_invite_from": "none"},
                                 "cross_tenant_default": {"state": "wiped"}})
    text = " ".join(result.error_messages)
    assert "allow_invite_from" in text and "wiped" in text
