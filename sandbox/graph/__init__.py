"""Microsoft Graph v1.0 (and the one beta resource the collection needs).  Importing this package registers
every Graph route."""
from sandbox.graph import (audit, b2b_management, batch, directory, odata, partners, policies,  # noqa: F401
                           tenant_relationships)
