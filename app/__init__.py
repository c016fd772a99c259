"""HTTP surface of the restoration ledger: routers, schemas, auth, HTML and static files."""
