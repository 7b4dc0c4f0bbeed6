"""The workstation's sync client: the HTTP client, the local outbox and rebase,
and the background runner.  What the server shares with it is in
coordtui.replication; the server never imports this package.  What the desk
sees of sync and does about conflicts is a service feature (coordtui.service.sync)."""
