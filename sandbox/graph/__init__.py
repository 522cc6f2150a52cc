"""Microsoft Graph v1.0.  Importing this package registers every Graph route."""
from sandbox.graph import audit, batch, directory, odata, partners, policies  # noqa: F401
