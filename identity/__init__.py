"""Identity resolution (domain): Splink scoring, clustering and stable customer ids.

Framework-free functions over Arrow/Polars data; built by the identity issue.
"""
