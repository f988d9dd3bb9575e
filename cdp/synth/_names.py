"""Sampling given and family names by culture, with realistic frequency skew."""

from __future__ import annotations

import random
from typing import Final

from cdp.synth._random import Weighted, zipf
from cdp.synth._vocab import COMPOUND_FIRST, FEMALE, MALE, SURNAMES
from cdp.synth._vocab.surname_parts import TAIL_PARTS

__all__ = ["first_name", "surname"]

_FIRST: Final[dict[tuple[str, str], Weighted[str]]] = {
    **{(c, "m"): zipf(names, s=0.8, offset=6.0) for c, names in MALE.items()},
    **{(c, "f"): zipf(names, s=0.8, offset=6.0) for c, names in FEMALE.items()},
}
_COMPOUND: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    **{(c, "m"): pair[0] for c, pair in COMPOUND_FIRST.items()},
    **{(c, "f"): pair[1] for c, pair in COMPOUND_FIRST.items()},
}
#: Common names, flatter than raw Zipf: the top name is ~1-2% of its pool (Müller, Rossi, Smith).
_SURNAME: Final[dict[str, Weighted[str]]] = {
    pool: zipf(names, s=0.7, offset=10.0) for pool, names in SURNAMES.items()
}
#: The long tail: every stem+ending compound that is not already a common name, equally likely.
_TAIL: Final[dict[str, tuple[str, ...]]] = {
    pool: tuple(
        name
        for name in dict.fromkeys(stem + end for stem in stems for end in ends)
        if name not in SURNAMES[pool] and not name.endswith(("ee", "nnn", "lll"))
    )
    for pool, (stems, ends) in TAIL_PARTS.items()
}
_TAIL_SHARE: Final = 0.4


def first_name(rng: random.Random, culture: str, sex: str, *, compound: float = 0.05) -> str:
    """A given name; ``compound`` is the share of double names (Hans-Peter, Anne-Marie)."""
    options = _COMPOUND.get((culture, sex))
    if options and rng.random() < compound:
        return rng.choice(options)
    return _FIRST[culture, sex].pick(rng)


def surname(rng: random.Random, pool: str) -> str:
    tail = _TAIL.get(pool)
    if tail and rng.random() < _TAIL_SHARE:
        return rng.choice(tail)
    return _SURNAME[pool].pick(rng)
