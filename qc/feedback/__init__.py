"""Feedback reaches the rep: release, acknowledgement and disputes of evaluations."""
