"""FastAPI wiring (thin): collector, profiles, segments, consent, audit and privacy routes."""
