"""Name and place knowledge the matcher ships with: nicknames, exonyms, loose folding.

These are general-purpose tables (common Central-European, French, Italian and English given
names and the usual exonyms of Swiss, German, Austrian, French and Italian cities), not data
derived from any particular input.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["city_canon", "first_canon", "loose"]

# Each line: names that are the same given name (formal form first).
_NICKNAME_GROUPS: Final = """
johannes hans hannes jo johann jean john jonny johnny jack
elisabeth lisa elise lisbeth liesel elsa betty beth liz lizzy elizabeth
katharina kathi katja kathrin katrin kate katie catherine kathryn cathy
margarete grete gretel margot margrit margaret maggie meg peggy
friedrich fritz fred freddy frederick
alexander alex sascha sandro alessandro alexandre
andreas andi res andrew andy drew andre
rudolf rudi ruedi rudolph
robert bob rob robi bobby roberto
christian chris
christina tina christine kristina
sebastian basti seb sebastien bastien
stefan steff stephan steffen stephen steve steven stefano
thomas tom tommy thom tommaso
michael michi mike mick michel michele
matthias matze matthi mathias matthew matt
daniel dani dan danny daniele
nicole nici nicky
barbara babs baerbel barb
susanne susi sanne susan sue suzanne
gabriele gabi gabriela gabrielle
josef sepp seppi joe joseph giuseppe peppe beppe
franziska franzi francesca
benjamin ben benji
maximilian max maxi massimo
dominik dome nik dominic
markus mark marcus marco marc
ulrich ueli uli
jakob koebi jake jacob giacomo
heinrich heinz heini henry harry
ursula uschi ursi
regula regi
william bill will billy willy wilhelm willi guglielmo
richard rick dick ricky riccardo
james jim jimmy jamie
charles charlie chuck carl karl carlo
edward ed eddie ted edoardo
anthony tony antonio anton toni tonio
patricia patty trish pat
jennifer jenny jen
rebecca becky becca
victoria vicky vicki
samuel sam sammy
nicholas nick nico nicolas niklaus klaus claus nikolaus niccolo
giovanni gianni nanni
francesco franco cesco francois franz frank francis
salvatore toto
vincenzo enzo vincent
caterina rina
beatrice bea beatrix
valentina vale
federico fede
emanuele manu emmanuel emanuel
guillaume guy
philippe phil philipp philip pippo filippo
isabelle isa isabel isabella
veronika vroni veronica veronique
theresa resi terri therese teresa
magdalena lena leni madeleine
helena helen lene elena
monika moni monica monique
angelika geli angela angelique
cornelia conny
gottfried godi friedel
walter walti
raphael raffi raffael raffaele raffaello
tobias tobi
patrick paddy patrik
jacqueline jackie jacky
wolfgang wolf wolfi
hannelore hanne
werner werni
urs ursli
peter pesche pete pierre pietro
""".strip().splitlines()


def _nickname_canon() -> dict[str, str]:
    canon: dict[str, str] = {}
    for line in _NICKNAME_GROUPS:
        names = line.split()
        for name in names:
            canon.setdefault(name, names[0])
    return canon


_NICK: Final[dict[str, str]] = _nickname_canon()

_EXONYM_GROUPS: Final = """
geneve geneva genf ginevra
zuerich zurich zurigo
bern berne berna
basel bale basle basilea
luzern lucerne lucerna
biel bienne
fribourg freiburg friburgo
neuchatel neuenburg
sion sitten
solothurn soleure
muenchen munich
koeln cologne colonia
wien vienna vienne
nuernberg nuremberg norimberga
milano milan mailand
roma rome rom
firenze florence florenz
venezia venice venedig venise
torino turin
napoli naples neapel
genova genoa genua genes
paris parigi
strasbourg strassburg strasburgo
lyon lione
""".strip().splitlines()


def _city_canon() -> dict[str, str]:
    canon: dict[str, str] = {}
    for line in _EXONYM_GROUPS:
        names = line.split()
        for name in names:
            canon.setdefault(name, names[0])
    return canon


_CITY: Final[dict[str, str]] = _city_canon()
_UMLAUT = re.compile(r"ae|oe|ue")
_SPACES = re.compile(r"[\s\-']+")


def loose(key: str | None) -> str | None:
    """A folded name key made looser: ``ae/oe/ue`` -> ``a/o/u`` (Müller = Muller = Mueller)."""
    if key is None:
        return None
    return _UMLAUT.sub(lambda m: m.group(0)[0], key)


def first_canon(key: str | None) -> str | None:
    """The nickname group of a folded first name's first word (Bill -> william), loose."""
    if not key:
        return None
    first = _SPACES.split(key.strip())[0]
    canon = _NICK.get(first) or _NICK.get(loose(first) or "")
    return loose(canon or first)


def city_canon(key: str | None) -> str | None:
    """A city key with exonyms folded together (Genf = Geneva = Genève), loose."""
    if not key:
        return None
    return loose(_CITY.get(key, _CITY.get(loose(key) or "", key)))
