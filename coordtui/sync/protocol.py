"""Wire constants shared by the server and the workstation's sync client."""

from __future__ import annotations

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "x-coordtui-protocol"
SCHEMA_HEADER = "x-coordtui-schema"
APP_HEADER = "x-coordtui-app"
MAX_BODY = 8 * 1024 * 1024  # bytes, after gzip; a push batch is far smaller
MAX_BATCH = 200  # mutations per push
