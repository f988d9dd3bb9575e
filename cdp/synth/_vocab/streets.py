"""Street names per style, most common first.

German names are written the Swiss way (``strasse``); Germany and Austria get ``straße`` when the
address is built. Every town has its own Bahnhofstrasse, which is exactly what makes addresses in
different towns look alike.
"""

from __future__ import annotations

from typing import Final

from cdp.synth._vocab._split import split_list

__all__ = ["STREETS"]

_DE_COMMON = """
    Hauptstrasse, Bahnhofstrasse, Dorfstrasse, Schulstrasse, Kirchstrasse, Gartenstrasse,
    Bergstrasse, Poststrasse, Lindenstrasse, Waldstrasse, Feldstrasse, Ringstrasse,
    Wiesenstrasse, Birkenweg, Rosenweg, Mühlenweg, Industriestrasse, Seestrasse, Sonnenweg,
    Friedhofstrasse, Kirchweg, Blumenstrasse, Am Bach, Lindenweg, Ahornweg, Eichenweg,
    Buchenweg, Tannenweg, Erlenweg, Am Sportplatz, Goethestrasse, Schillerstrasse,
    Mozartstrasse, Beethovenstrasse, Bachstrasse, Marktplatz, Marktstrasse, Parkstrasse,
    Neue Strasse, Talstrasse, Wiesenweg, Gartenweg, Schlossstrasse, Burgstrasse,
    Mittelstrasse, Oberdorfstrasse, Unterdorfstrasse, Fliederweg, Amselweg, Finkenweg,
    Lerchenweg, Drosselweg, Kastanienweg, Am Anger, Im Winkel, Schützenstrasse,
    Sandstrasse, Wilhelmstrasse, Friedrichstrasse, Kantstrasse, Uhlandstrasse,
    Lessingstrasse, Herderstrasse, Humboldtstrasse, Bismarckstrasse, Kaiserstrasse,
    Rathausstrasse, Rathausplatz, Kirchplatz, Brunnenstrasse, Quellenweg, Weiherweg,
    Sonnenhalde, Feldweg, Hofstrasse, Mühlestrasse, Bleichestrasse, Klosterstrasse,
    Gewerbestrasse, Hafenstrasse, Rheinstrasse, Uferweg, Am Hang, Auf der Höhe, Im Grund,
    Heideweg, Moosweg, Riedweg, Steinweg, Mühlgasse, Schmiedgasse, Hintergasse, Untere Gasse,
    Obere Gasse, Kreuzstrasse, Ulmenweg, Weidenweg, Kiefernweg, Fichtenweg, Tulpenweg,
    Nelkenweg, Veilchenweg, Asternweg, Dahlienweg, Sonnenstrasse, Morgenstrasse, Nordstrasse,
    Südstrasse, Weststrasse, Oststrasse, Alte Landstrasse, Landstrasse, Bergweg, Hohlweg,
    Kapellenweg, Pfarrgasse, Schulgasse, Jahnstrasse, Körnerstrasse, Luisenstrasse
"""

STREETS: Final[dict[str, tuple[str, ...]]] = {
    "de": split_list(_DE_COMMON),
    # German-speaking Switzerland: the common names plus the Swiss ones.
    "ch": split_list(
        _DE_COMMON
        + """
        Zürcherstrasse, Bernstrasse, Luzernerstrasse, Badenerstrasse, Winterthurerstrasse,
        Seefeldstrasse, Langstrasse, Albisriederstrasse, Forchstrasse, Hofwiesenstrasse,
        Dufourstrasse, Pestalozzistrasse, Gotthelfstrasse, Zwinglistrasse, Kasernenstrasse,
        Rathausgasse, Marktgasse, Spitalgasse, Kramgasse, Aarbergergasse, Rigistrasse,
        Pilatusstrasse, Säntisstrasse, Gotthardstrasse, Alpenstrasse, Jurastrasse,
        Zugerstrasse, Baslerstrasse, Aarauerstrasse, Oltnerstrasse, Solothurnstrasse,
        St. Gallerstrasse, Churerstrasse, Schaffhauserstrasse, Weinbergstrasse,
        Rebbergstrasse, Rebenweg, Chriesiweg, Hofacker, Im Baumgarten, Wiesliweg,
        Neugasse, Stadthausstrasse, Vorstadt, Bühlstrasse, Rainstrasse, Haldenstrasse,
        Grabenstrasse, Tellstrasse, General-Guisan-Strasse, Helvetiastrasse, Freiestrasse,
        Steinenvorstadt, Spalenberg, Mühlebachstrasse, Weinbergli, Hertensteinstrasse
    """
    ),
    "at": split_list(
        _DE_COMMON
        + """
        Mariahilfer Strasse, Landstrasser Hauptstrasse, Favoritenstrasse, Wiedner Hauptstrasse,
        Herrengasse, Kärntner Strasse, Neubaugasse, Praterstrasse, Linzer Strasse,
        Grazer Strasse, Salzburger Strasse, Wiener Strasse, Annenstrasse, Getreidegasse,
        Hauptplatz, Stadtplatz, Kirchengasse, Schulgasse, Florianigasse, Josefstädter Strasse,
        Ottakringer Strasse, Thaliastrasse, Simmeringer Hauptstrasse, Brünner Strasse,
        Triester Strasse, Leopoldsgasse, Taborstrasse, Heiligenstädter Strasse,
        Maria-Theresien-Strasse, Anichstrasse, Museumstrasse, Schmiedgasse, Sackstrasse
    """
    ),
    "fr": split_list("""
        rue de la République, rue Victor Hugo, rue Jean Jaurès, avenue de la Gare,
        rue du Moulin, place de l'Église, rue des Écoles, boulevard Gambetta, rue Pasteur,
        rue de Paris, avenue Charles de Gaulle, rue Nationale, chemin des Vignes,
        allée des Tilleuls, impasse des Lilas, rue du Château, rue de la Mairie, rue Principale,
        Grande Rue, rue de l'Église, rue du Stade, rue des Jardins, rue Voltaire, rue Émile Zola,
        avenue Jean Moulin, rue Gambetta, rue Saint-Martin, rue de Verdun, avenue Foch,
        rue Lafayette, boulevard Voltaire, rue de la Paix, quai Saint-Pierre, rue des Lilas,
        rue du Général de Gaulle, rue de la Liberté, rue Carnot, rue du 8 Mai 1945,
        rue des Roses, chemin du Moulin, rue de la Fontaine, rue du Marché, place du Marché,
        rue de Lyon, rue de Strasbourg, avenue de la République, rue des Acacias,
        rue des Peupliers, rue du Commerce, rue de la Poste, rue Jules Ferry, rue Molière,
        rue Jean Moulin, rue Anatole France, avenue des Champs, rue des Fleurs, rue du Port,
        boulevard de la Liberté, rue Saint-Jacques, rue de la Gare, rue Thiers, rue Danton
    """),
    # French-speaking Switzerland: Swiss street names, number after the name.
    "ch_fr": split_list("""
        rue du Rhône, avenue de la Gare, rue de Lausanne, chemin des Crêts, route de Genève,
        rue du Lac, avenue de Cour, chemin de la Colline, rue du Simplon, avenue du Léman,
        rue de Carouge, rue de Bourg, rue Centrale, place de la Palud, avenue d'Ouchy,
        route de Berne, chemin du Pré, rue du Marché, rue de la Gare, Grand-Rue, rue du Temple,
        avenue de Rumine, chemin des Vignes, rue des Alpes, rue de Genève, rue du Collège,
        avenue du Mont-Blanc, route de Chêne, route de Meyrin, rue de la Servette,
        boulevard Carl-Vogt, rue de Montbrillant, avenue Wendt, chemin de Champ-Baron,
        rue du Château, rue de l'Hôpital, route de Lausanne, chemin de la Forêt, rue des Moulins,
        avenue de Morges, avenue de Beaulieu, route de la Vallée, chemin du Village
    """),
    "it": split_list("""
        Via Roma, Via Garibaldi, Via Mazzini, Via Cavour, Via Dante Alighieri,
        Via Vittorio Emanuele II, Corso Italia, Via Giuseppe Verdi, Piazza della Repubblica,
        Via XX Settembre, Via Marconi, Via Matteotti, Via Gramsci, Via San Francesco,
        Via della Stazione, Viale Europa, Via Manzoni, Via Leopardi, Via dei Mille,
        Via Nazionale, Via Trieste, Via Trento, Via Milano, Via Torino, Via Venezia,
        Via Firenze, Via Napoli, Via Kennedy, Via Aldo Moro, Via Papa Giovanni XXIII,
        Via Don Minzoni, Via IV Novembre, Via Cesare Battisti, Via Carducci, Via Pascoli,
        Via Galileo Galilei, Via Alessandro Volta, Via Cristoforo Colombo, Via Puccini,
        Via Rossini, Via Bellini, Corso Vittorio Emanuele, Via del Corso, Via Solferino,
        Via Montebello, Viale Monza, Via Nino Bixio, Via Goffredo Mameli, Via Repubblica,
        Via Piave, Via Isonzo, Via Dei Fiori, Via delle Rose, Via San Giovanni, Via Sant'Antonio,
        Via della Libertà, Via Umberto I, Via Regina Margherita, Corso Garibaldi,
        Via Vittorio Veneto
    """),
    # Italian-speaking Switzerland.
    "ch_it": split_list("""
        Via Cantonale, Via San Gottardo, Via Nassa, Via Pretorio, Via Trevano, Via Lugano,
        Via Cattori, Via Zurigo, Riva Caccia, Via Canova, Via Ciseri, Via Besso, Via Ceresio,
        Via Serafino Balestra, Via Stazione, Via Vela, Via Lavizzari, Via Motta, Via Bossi,
        Via Simen, Via Borghese, Via Municipio, Via alla Chiesa, Via al Lido, Via Orelli,
        Via Franscini, Via Ghiringhelli, Piazza Collegiata, Via Locarno, Via Varenna,
        Via Roma, Via Dante Alighieri, Via Giuseppe Motta, Via Ferriere, Via Mirasole
    """),
    "gb": split_list("""
        High Street, Station Road, Main Street, Park Road, Church Road, Church Street,
        London Road, Victoria Road, Green Lane, Manor Road, Church Lane, Park Avenue,
        The Avenue, The Crescent, Queens Road, New Road, Grange Road, Kings Road, Kingsway,
        Windsor Road, Highfield Road, Mill Lane, Alexandra Road, York Road, Main Road,
        Broadway, Albert Road, Springfield Road, George Street, North Street, Chester Road,
        Mill Road, Stanley Road, Richmond Road, The Green, Elm Grove, Oxford Road,
        Cambridge Road, St John's Road, Queen Street, Market Street, King Street,
        Bridge Street, West Street, Water Lane, School Lane, Orchard Close, Beech Grove,
        Meadow Way, Cedar Avenue, Riverside Drive, Castle Street, Baker Street, Albion Street,
        Victoria Street, Mill Street, Chapel Street, Springfield Avenue, Clarence Road,
        Moor Lane, Hill Street, Hall Lane, Bath Road, Walton Road, Warwick Road, Denmark Hill,
        Lordship Lane, Holloway Road, Stroud Green Road, Abbey Road, Portobello Road
    """),
    "us": split_list("""
        Main Street, Oak Street, Maple Avenue, Pine Street, Cedar Street, Elm Street,
        Washington Street, Park Avenue, Lake Street, Hill Street, 2nd Street, 3rd Street,
        1st Avenue, Walnut Street, Spruce Street, Sunset Boulevard, Lincoln Avenue,
        Jefferson Street, Madison Avenue, Church Street, Highland Avenue, Center Street,
        Broadway, Ridge Road, Willow Street, Chestnut Street, Franklin Street, Jackson Street,
        Meadow Lane, River Road, Forest Avenue, Lakeview Drive, Sunset Drive, Cherry Street,
        Adams Street, Hickory Lane, Dogwood Drive, Magnolia Avenue, Birch Street,
        Cypress Street, Valley Road, Grand Avenue, Union Street, Market Street, Mill Street,
        Spring Street, Summit Avenue, Prospect Street, Pleasant Street, Woodland Drive,
        College Avenue, Railroad Avenue, 4th Street, 5th Avenue, Court Street, Water Street,
        Green Street, School Street, Liberty Street, Front Street, Elmwood Avenue,
        Jefferson Avenue, Cambridge Court, Laurel Lane, Colonial Drive, Country Club Road
    """),
}
