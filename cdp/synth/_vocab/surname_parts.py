"""Parts of the long tail of family names (Steinbach, Rossetti, Ashworth...).

The frequency lists in ``surnames`` hold the common names; real populations also have a long tail
of rarer ones. Combining a stem with an ending gives thousands of plausible names per culture, so
full-name collisions happen about as often as in life rather than in every other household.
"""

from __future__ import annotations

from typing import Final

from cdp.synth._vocab._split import split_list

__all__ = ["TAIL_PARTS"]

_GERMAN = (
    split_list("""
        Acker, Adel, Amsel, Asch, Bach, Baum, Berg, Birn, Blum, Brand, Brunn, Buch, Burg, Dorn,
        Eich, Eisen, Eng, Feld, Fels, Fisch, Flach, Frei, Fried, Gold, Grün, Hage, Hart, Heil,
        Hirsch, Hoch, Hof, Holz, Horn, Kirch, Klee, Kling, Kohl, Kreuz, Lang, Lerch, Linden,
        Löw, Mai, Matt, Moos, Mühl, Neu, Ober, Rein, Ried, Rosen, Sand, Schön, Schnee, Seel,
        Sonn, Stein, Stock, Stolz, Tann, Thal, Unter, Wald, Wasser, Weiden, Wein, Wies, Wild,
        Winter, Zell
    """),
    split_list("""
        mann, bach, berg, berger, er, feld, hofer, huber, inger, ler, meier, müller, reiter,
        schmid, stein, thaler, wald, wieser, bauer, brunner, egger, hammer, hauser, haber,
        beck, acher, steiner, moser
    """),
)

TAIL_PARTS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "de": _GERMAN,
    "ch": _GERMAN,
    "at": _GERMAN,
    "fr": (
        split_list("""
            Bour, Chab, Chap, Font, Gaud, Lamb, Marc, Mont, Perr, Roug, Vern, Vill, Boiss,
            Cham, Charp, Coud, Delb, Gren, Jacqu, Lach, Mall, Moul, Pell, Rich, Sauv, Tess
        """),
        split_list("ot, eau, ard, aud, ier, in, on, et, ault, elle, ignac, eron, illet, oux, eux"),
    ),
    "it": (
        split_list("""
            Bal, Bar, Bart, Ber, Bon, Cal, Cam, Car, Cas, Cav, Cer, Col, Cor, Fal, Fan, Fer, Fior,
            Gal, Gar, Ghir, Lan, Lor, Luc, Man, Mar, Mor, Pal, Pan, Par, Pel, Ric, Riv, Ros, San,
            Sar, Ser, Tor, Val, Ven, Vit, Zan, Zuc
        """),
        split_list(
            "etti, ini, elli, oni, ucci, azzi, acci, one, ato, ese, otti, uzzi, anti, ieri, ari"
        ),
    ),
    "gb": (
        split_list("""
            Ash, Black, Brad, Brook, Clay, Cross, Dal, Fair, Green, Hol, Kings, Lang, Mar, Mid,
            Nor, Red, Rush, Sel, Shel, Stan, Thorn, Under, Wake, West, Whit, Wood, Al, Brom,
            Chal, Ever, Hather, Hems, Pen
        """),
        split_list(
            "ley, ton, field, ford, well, wood, by, ham, worth, more, land, wick, shaw, ridge"
        ),
    ),
}
TAIL_PARTS["us"] = TAIL_PARTS["gb"]
