"""Synthetic CRM, ERP, web and consent data for one population, with ground truth (cdp generate).

One underlying population (households, twins, namesakes, movers...) is rendered into four sources
with realistic noise, streamed to chunked files, and described by ``ground_truth.csv`` (which
person and household every CRM contact, ERP customer and web identity belongs to) and
``manifest.json`` (options, counts, file hashes). Same seed and options, same bytes.

    from cdp.synth import GenerateOptions, generate
    report = generate(Path("data/gen"), GenerateOptions(people=10_000, seed=7))
"""

from __future__ import annotations

from cdp.synth._crm import CRM_COLUMNS
from cdp.synth._erp import ERP_COLUMNS
from cdp.synth._generate import GENERATOR_VERSION, GROUND_TRUTH_COLUMNS, generate
from cdp.synth._options import GenerateOptions, GenerationReport, InvalidOptionsError, SynthError

__all__ = [
    "CRM_COLUMNS",
    "ERP_COLUMNS",
    "GENERATOR_VERSION",
    "GROUND_TRUTH_COLUMNS",
    "GenerateOptions",
    "GenerationReport",
    "InvalidOptionsError",
    "SynthError",
    "generate",
]
