"""A local, faithful stand-in for Microsoft Entra (login), Microsoft Graph and Exchange Online's
admin API, for tests and demos.  Run it with ``python -m sandbox --seed FILE``; see README.md."""
