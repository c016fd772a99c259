"""Operations: consistent backups with a manifest, verified restores, and the schema check
behind ``python -m app migrate --check`` and ``/readyz``. Nothing here knows about HTTP."""

from geo.ops.backup import BackupError, backup
from geo.ops.batches import run_in_batches
from geo.ops.keys import rotate_keys
from geo.ops.manifest import Manifest
from geo.ops.restore import RestoreError, restore
from geo.ops.schema import SchemaStatus, known_revisions, schema_status, script_heads

__all__ = [
    "BackupError",
    "Manifest",
    "RestoreError",
    "SchemaStatus",
    "backup",
    "known_revisions",
    "restore",
    "rotate_keys",
    "run_in_batches",
    "schema_status",
    "script_heads",
]
