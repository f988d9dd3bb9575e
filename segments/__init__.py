"""Profiles and segments (domain): golden traits, segment specs compiled to Polars.

Framework-free functions over Arrow/Polars data; built by the segments issue.
"""
