"""Word parts of (fictional) employer names: ``<stem> <trade> <legal form>``, per language."""

from __future__ import annotations

from typing import Final

from cdp.synth._vocab._split import split_list

__all__ = ["COMPANY_STEMS", "COMPANY_TRADES"]

COMPANY_STEMS: Final[dict[str, tuple[str, ...]]] = {
    "de": split_list("""
        Alpen, Rhein, Helvetia, Nord, Süd, Berg, See, Stern, Falken, Adler, Tell, Gotthard,
        Jura, Limmat, Aare, Reuss, Linth, Säntis, Pilatus, Rigi, Eiger, Bodensee, Elbe, Main,
        Donau, Isar, Spree, Weser, Hanse, Tannen, Linden, Eichen, Sonnen, Kristall, Blau,
        Grün, Weiss, Silber, Gold, Alpina, Montana, Novo, Prima, Optima, Vita, Terra, Aqua
    """),
    "fr": split_list("""
        Léman, Rhône, Jura, Alpes, Atlantique, Provence, Lumière, Horizon, Étoile, Azur,
        Nova, Optima, Soleil, Mont-Blanc, Lac, Forêt, Océan, Vallée, Cristal, Alliance
    """),
    "it": split_list("""
        Alpi, Lago, Sole, Stella, Monte, Mare, Valle, Ceresio, Ticino, Adriatica, Tirrenica,
        Nuova, Prima, Optima, Aurora, Cristallo, Fiore, Ponte, Torre, Luce
    """),
    "en": split_list("""
        Summit, Harbor, Pioneer, Liberty, Eagle, Northstar, Bluewater, Redwood, Granite,
        Silverline, Bright, Keystone, Evergreen, Crescent, Horizon, Beacon, Oakridge, Sterling,
        Atlas, Meridian, Apex, Cobalt, Ironwood, Riverside, Highland, Lakeshore, Westbrook
    """),
}

COMPANY_TRADES: Final[dict[str, tuple[str, ...]]] = {
    "de": split_list("""
        Logistik, Bau, Treuhand, Consulting, Immobilien, Versicherungen, Medical, Pharma,
        Software, Energie, Design, Transport, Holzbau, Metallbau, Druck, Food, Gartenbau,
        Elektro, Sanitär, Informatik, Reisen, Handel, Technik, Optik, Möbel, Finanz
    """),
    "fr": split_list("""
        Logistique, Construction, Fiduciaire, Conseil, Immobilier, Assurances, Médical,
        Informatique, Énergie, Design, Transports, Électricité, Voyages, Négoce, Services
    """),
    "it": split_list("""
        Logistica, Costruzioni, Fiduciaria, Consulenze, Immobiliare, Assicurazioni, Medica,
        Informatica, Energia, Design, Trasporti, Impianti, Viaggi, Commercio, Servizi
    """),
    "en": split_list("""
        Logistics, Construction, Consulting, Properties, Insurance, Medical, Software, Energy,
        Design, Transport, Engineering, Foods, Systems, Analytics, Capital, Partners, Solutions
    """),
}
