"""Browsing calls: the calls list, the call page and the calls read API.

A read-model across domains: a call with its transcript, its automatic checks, the
queue's blind-review aliases and its review. It sits above every domain it shows and
writes nothing.
"""
