"""The workstation's sync client: the HTTP client, the local outbox and rebase,
the background runner and conflict review.  What the server shares with it is
in coordtui.replication; the server never imports this package."""
