"""Bytewax dataflows (thin wiring): ingest from files, the collector landing and Kafka into Delta.

Built by the ingest issue; imports the domain, never the other way round.
"""
