"""Wire constants shared by the server and the workstation's sync client.

The protocol and schema numbers, headers and size limits both ends check,
and the keys under which a workstation keeps its sync state in its store's
``meta`` table.  The keys are the workstation's, but code both sides run
reads them (coordtui.mutations reads CLIENT_ID), so they live here with the
rest rather than in the workstation client package (coordtui.sync).
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
# The shape of the synced tables (coordtui.replication.rows.SYNCED) as mutations and pulled
# rows see it.  Bumped when they change, not when a workstation-only table or index does (the
# store's own SCHEMA_VERSION), so such a change never splits workstations from a server.
SYNC_SCHEMA = 7
# Days of past appointments a workstation's bootstrap asks for (coordtui.server.history).
HISTORY_DAYS = 365
PROTOCOL_HEADER = "x-coordtui-protocol"
SCHEMA_HEADER = "x-coordtui-schema"
APP_HEADER = "x-coordtui-app"
MAX_BODY = 8 * 1024 * 1024  # bytes, after gzip; a push batch is far smaller
MAX_BATCH = 200  # mutations per push

# Keys of the workstation's sync state in its store's ``meta`` table.
URL, CLIENT_ID, TOKEN, CA = "sync.url", "sync.client_id", "sync.token", "sync.ca"
LAST_OK, LAST_ERROR, LAST_TRY = "sync.last_ok", "sync.last_error", "sync.last_try"
RECOVERED = "sync.recovered"  # JSON: the last server restore found (coordtui.sync.local)
ENROL_KEY = "sync.enrol_key"  # the key sent with a code until enrolment completes (secret)
CURSOR = "sync.cursor"  # the server's opaque position after the last applied page
# Set by a reset page, cleared by the last page of that bootstrap: until then the synced
# tables' plain indexes (their SQL is the value) and the lookup index are not kept row by
# row but built once at the end, several times faster (see BENCHMARKS.md).
REINDEX = "sync.reindex"
