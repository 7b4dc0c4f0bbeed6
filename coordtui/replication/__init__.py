"""Replication code the clinic server and the workstations share.

Which tables sync and how a row travels (rows), which synced rows a mutation
touches (capture), and the wire constants both ends check (protocol).  The
server (coordtui.server) and the workstation client (coordtui.sync) both
build on it; it imports neither.  Nothing is imported here, so reading a
constant from protocol does not pull in SQLAlchemy.
"""
