"""Notifications: the in-app inbox and the organisation's outgoing webhook."""
