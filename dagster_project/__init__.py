"""Dagster wiring (thin): assets, checks, sensors and resources over the domain packages."""
