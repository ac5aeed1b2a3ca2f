"""The evening digest: each team's day, posted to its chat at a set local time."""
