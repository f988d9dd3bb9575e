"""Consent engine (domain): the bitemporal ledger and the one default-deny gate.

Framework-free functions over Arrow/Polars data; built by the consent issue.
"""
