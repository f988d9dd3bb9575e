"""Nicknames and short forms people use instead of their given name, and similar twin names."""

from __future__ import annotations

from typing import Final

__all__ = ["NICKNAMES", "SIMILAR_NAMES"]


def _parse(text: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        for entry in line.split(";"):
            if entry.strip():
                formal, short = entry.split(":")
                out[formal.strip()] = tuple(s.strip() for s in short.split(","))
    return out


#: Formal given name -> nicknames (any culture; the formal names are distinct enough).
NICKNAMES: Final[dict[str, tuple[str, ...]]] = _parse("""
    Johannes: Hans, Hannes, Jo; Johann: Hans, Hannes; Elisabeth: Lisa, Elise, Lisbeth, Liesel
    Katharina: Kathi, Katja, Kathrin; Margarete: Grete, Gretel, Margot; Friedrich: Fritz
    Alexander: Alex, Sascha; Andreas: Andi, Res; Rudolf: Rudi, Ruedi; Robert: Bob, Rob, Robi
    Christian: Chris; Christina: Tina, Chris; Christine: Tina; Sebastian: Basti; Stefan: Steff
    Stephan: Steff; Thomas: Tom, Tommy; Michael: Michi, Mike; Matthias: Matze, Matthi
    Daniel: Dani, Dan; Nicole: Nici; Barbara: Babs, Bärbel, Barb; Susanne: Susi, Sanne
    Gabriele: Gabi; Josef: Sepp, Seppi, Joe; Franziska: Franzi; Benjamin: Ben, Benji
    Maximilian: Max, Maxi; Dominik: Dome, Nik; Markus: Mark; Ulrich: Ueli, Uli
    Jakob: Köbi, Jake; Heinrich: Heinz, Heini; Ursula: Uschi, Ursi; Regula: Regi
    Verena: Vreni; Rosmarie: Rosi; Johanna: Hanna, Jo; Magdalena: Lena, Leni; Helene: Leni
    Theresa: Resi, Thea; Valentina: Vale; Jennifer: Jenny, Jen; Jessica: Jessi, Jess
    Tobias: Tobi; Florian: Flo; Nikolaus: Klaus; Manuela: Manu; Emanuel: Manu
    Raphael: Raffi; Samuel: Sämi, Sam; Wolfgang: Wolf; Franz: Franzl; Anton: Toni
    Antonia: Toni; Patrick: Pat; Cornelia: Conny; Veronika: Vroni; Walter: Walti
    Werner: Werni; Bernhard: Bernd; Gottfried: Friedl; Angelika: Geli; Karl-Heinz: Kalle
    Hans-Peter: Hanspeter; Hans-Jürgen: Hajo
    Nicolas: Nico; Dominique: Dom; Frédéric: Fred; Alexandre: Alex; Christophe: Chris
    Stéphanie: Steph; Catherine: Cathy; Isabelle: Isa; Véronique: Véro; Emmanuel: Manu
    Caroline: Caro; Sébastien: Seb; Valérie: Val; Jean-Pierre: JP
    Giuseppe: Beppe, Peppe, Pino; Francesco: Franco, Checco; Giovanni: Gianni, Nanni
    Antonio: Tonio, Toni; Alessandro: Sandro, Ale; Salvatore: Totò, Salvo; Roberto: Berto
    Vincenzo: Enzo; Margherita: Rita; Elisabetta: Betta; Federica: Fede
    Francesca: Franci; Alessandra: Sandra, Ale; Giuseppina: Pina; Caterina: Rina
    Massimiliano: Max; Filippo: Pippo; Beatrice: Bea
    William: Bill, Will, Billy, Liam; Richard: Rick, Dick, Richie
    Elizabeth: Liz, Beth, Betty, Eliza; Katherine: Kate, Katie, Kathy; Margaret: Maggie, Peggy, Meg
    James: Jim, Jimmy, Jamie; Christopher: Chris; Joseph: Joe, Joey; Matthew: Matt
    Anthony: Tony; Edward: Ed, Eddie, Ted; Nicholas: Nick; Jonathan: Jon
    Patricia: Pat, Patty, Trish
    Susan: Sue, Suzy; Deborah: Debbie, Deb; Rebecca: Becky, Becca; Victoria: Vicky, Tori
    Charles: Charlie, Chuck; Steven: Steve; Stephen: Steve; Andrew: Andy, Drew; Timothy: Tim
    Gregory: Greg; Samantha: Sam; Abigail: Abby; Frederick: Fred; Kenneth: Ken
    Ronald: Ron, Ronnie; Donald: Don; Lawrence: Larry; Gerald: Gerry; Harold: Harry
    Henry: Harry, Hank; Peter: Pete; Philip: Phil; Kimberly: Kim; Amanda: Mandy
    Dorothy: Dot, Dottie; Eleanor: Ellie, Nora; Jacqueline: Jackie; Zachary: Zach
    Douglas: Doug; Raymond: Ray; Jeffrey: Jeff; Eugene: Gene; Pamela: Pam; Cynthia: Cindy
    Kathleen: Kathy, Kate; Alexis: Lexi; Brittany: Britt; Teresa: Terri; Judith: Judy
    José: Pepe; Francisco: Paco, Pancho; Guadalupe: Lupe; Mehmet: Memo; Aleksandar: Aco
""")

#: Pairs of given names similar enough to confuse a matcher; twins sometimes get them.
SIMILAR_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("Anna", "Hanna"),
    ("Lena", "Lina"),
    ("Paul", "Paula"),
    ("Daniel", "Daniela"),
    ("Simon", "Simone"),
    ("Marco", "Mario"),
    ("Tim", "Tom"),
    ("Lea", "Lia"),
    ("Jonas", "Jona"),
    ("Julia", "Julian"),
    ("Michael", "Michaela"),
    ("Fabian", "Fabienne"),
    ("Noah", "Nora"),
    ("Nico", "Nina"),
    ("Louis", "Louise"),
    ("Lucas", "Lucie"),
    ("Léo", "Léa"),
    ("Francesco", "Francesca"),
    ("Giulio", "Giulia"),
    ("Luca", "Lucia"),
    ("Alessandro", "Alessandra"),
    ("Oliver", "Olivia"),
    ("Ella", "Emma"),
    ("Jack", "Jake"),
    ("Charlie", "Charlotte"),
    ("Daniel", "Danielle"),
)
