"""Family names per pool, most frequent first.

Pools: ``de`` (Germany), ``ch`` (German-speaking Switzerland), ``at`` (Austria), ``fr``, ``it``,
``gb``, ``us``, and the immigrant pools ``pt``, ``tr``, ``bk``, ``es``.
"""

from __future__ import annotations

from typing import Final

from cdp.synth._vocab._split import split_list

__all__ = ["SURNAMES"]

SURNAMES: Final[dict[str, tuple[str, ...]]] = {
    "de": split_list("""
        Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann,
        Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann,
        Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Schmitz, Krause, Meier,
        Lehmann, Schmid, Schulze, Maier, Köhler, Herrmann, König, Walter, Mayer, Huber,
        Kaiser, Fuchs, Peters, Lang, Scholz, Möller, Weiß, Jung, Hahn, Schubert, Vogel,
        Friedrich, Keller, Günther, Frank, Berger, Winkler, Roth, Beck, Lorenz, Baumann,
        Franke, Albrecht, Schuster, Simon, Ludwig, Böhm, Winter, Kraus, Martin, Schumacher,
        Krämer, Vogt, Stein, Jäger, Otto, Sommer, Groß, Seidel, Heinrich, Brandt, Haas,
        Schreiber, Graf, Schulte, Dietrich, Ziegler, Kuhn, Kühn, Pohl, Engel, Horn, Busch,
        Bergmann, Thomas, Voigt, Sauer, Arnold, Wolff, Pfeiffer, Ernst, Lindner, Hübner,
        Kramer, Franz, Jansen, Peter, Hofer, Haase, Lenz, Schenk, Förster, Böttcher, Kunz,
        Kuhlmann, Ackermann, Bender, Beyer, Brinkmann, Dörr, Ebert, Fink, Frey, Gärtner,
        Göbel, Hauser, Heller, Hermann, Hesse, Hildebrandt, Hoppe, Jakob, Kern, Kirchner,
        Kolb, Kopp, Kurz, Lutz, Marx, Mertens, Michel, Moritz, Nagel, Naumann, Nowak, Oswald,
        Paul, Petersen, Pfeifer, Reuter, Rieger, Ritter, Rose, Sander, Schade, Scheffler,
        Schiller, Schlegel, Schmitz, Schramm, Schütz, Seifert, Siebert, Sturm, Thiel, Ulrich,
        Vetter, Walther, Weis, Wendt, Wenzel, Wilhelm, Witt, Wittmann, Zander, Ziegler,
        Bach, Behrens, Bischoff, Blum, Brenner, Dittrich, Eckert, Ehlers, Engelhardt, Fiedler,
        Fleischer, Frenzel, Geiger, Gerlach, Grimm, Hartwig, Heinz, Hinz, Jahn, Janssen,
        Kaufmann, Kessler, Kluge, Koller, Kroll, Lemke, Löffler, Ludwig, Mann, Martens,
        Maurer, Menzel, Metzger, Nickel, Pietsch, Rau, Reich, Riedel, Rösler, Sauter, Schott,
        Schubert, Stahl, Steffen, Strauß, Thiele, Voß, Weigel, Wiese, Wolter, Zimmer
    """),
    "ch": split_list("""
        Müller, Meier, Schmid, Keller, Weber, Huber, Schneider, Meyer, Steiner, Fischer,
        Gerber, Brunner, Baumann, Frei, Zimmermann, Moser, Widmer, Wyss, Graf, Roth, Suter,
        Baumgartner, Bachmann, Studer, Bühler, Kälin, Hofmann, Lüthi, Marti, Ammann, Egli,
        Zürcher, Bieri, Kaufmann, Christen, Arnold, Hug, Koch, Sutter, Bucher, Schär, Kunz,
        Hess, Imhof, Berger, Wenger, Fuchs, Meili, Blaser, Bosshard, Rüegg, Stucki, Tanner,
        Vogt, Brügger, Kohler, Iseli, Ryf, Hauser, Zaugg, Rohrer, Grob, Aebi, Aeschlimann,
        Gisler, Ziegler, Frey, Kuster, Rüfenacht, Lehmann, Leuenberger, Bärtschi, Schürch,
        Flückiger, Gasser, Zbinden, Stalder, Hurni, Jost, Furrer, Eberle, Nussbaumer,
        Bolliger, Stettler, Wüthrich, Zwahlen, Rüegsegger, Wälti, Siegenthaler, Bürki, Hirschi,
        Lanz, Affolter, Burri, Gloor, Schaller, Kessler, Frick, Ott, Bader, Wicki, Amstutz,
        Schwab, Steffen, Zünd, Walser, Zollinger, Gut, Herzog, Rutishauser, Hefti, Känzig,
        Mettler, Niederer, Oberholzer, Pfister, Ruf, Scherrer, Senn, Stocker, Thalmann,
        Villiger, Weibel, Wirz, Wolf, Zingg, Caduff, Cavegn, Casutt, Derungs, Tschudi, Brändli,
        Hürlimann, Haldimann, Schori, Ryser, Kämpf, Trachsel, Lauber, Spörri, Schnyder,
        Imboden, Zurbriggen, Kalbermatten, Lötscher, Truffer, Anthamatten, Gnädinger, Schläpfer
    """),
    "at": split_list("""
        Gruber, Huber, Bauer, Wagner, Müller, Pichler, Steiner, Moser, Mayer, Hofer, Leitner,
        Berger, Fuchs, Eder, Fischer, Schmid, Winkler, Weber, Schwarz, Maier, Schneider,
        Reiter, Mayr, Schmidt, Wimmer, Egger, Brunner, Lang, Baumgartner, Auer, Binder,
        Lechner, Wolf, Wallner, Aigner, Ebner, Koller, Lehner, Haas, Schuster, Holzer,
        Haider, Strasser, Lackner, Hofbauer, Riegler, Stadler, Fellner, Putz, Kainz, Wieser,
        Brandstätter, Weiss, Unger, Hackl, Zauner, Hofmann, Graf, Hahn, Pölzl, Kogler, Posch,
        Rainer, Seidl, Windisch, Kaiser, Mair, Stockinger, Trummer, Neubauer, Resch, Riedl,
        Hinterberger, Oberhauser, Rauch, Strobl, Pöschl, Gschwandtner, Leitgeb, Edlinger,
        Hölzl, Kofler, Moosbrugger, Nussbaumer, Obermayr, Prinz, Schober, Sommer, Thaler,
        Tschernutter, Url, Weinberger, Zöchling
    """),
    "fr": split_list("""
        Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau, Laurent,
        Simon, Michel, Lefebvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard,
        Bonnet, Dupont, Lambert, Fontaine, Rousseau, Vincent, Muller, Lefèvre, Faure, André,
        Mercier, Blanc, Guérin, Boyer, Garnier, Chevalier, François, Legrand, Gauthier,
        Garcia, Perrin, Robin, Clément, Morin, Nicolas, Henry, Roussel, Mathieu, Gautier,
        Masson, Marchand, Duval, Denis, Dumont, Marie, Lemaire, Noël, Meyer, Dufour, Meunier,
        Brun, Blanchard, Giraud, Joly, Rivière, Lucas, Brunet, Gaillard, Barbier, Arnaud,
        Martinez, Gérard, Roche, Renard, Schmitt, Roy, Leroux, Colin, Vidal, Caron, Picard,
        Roger, Fabre, Aubert, Lemoine, Renaud, Dumas, Lacroix, Olivier, Philippe, Bourgeois,
        Pierre, Benoît, Rey, Leclerc, Payet, Rolland, Leclercq, Guillaume, Lecomte, Lopez,
        Jean, Dupuy, Guillot, Hubert, Berger, Carpentier, Sanchez, Dupuis, Moulin, Louis,
        Deschamps, Huet, Vasseur, Perez, Boucher, Fleury, Royer, Klein, Jacquet, Adam, Paris,
        Poirier, Marty, Aubry, Guyot, Carré, Charles, Renault, Charpentier, Ménard, Maillard,
        Baron, Bertin, Bailly, Hervé, Schneider, Fernandez, Le Gall, Collet, Léger, Bouvier,
        Julien, Prévost, Millet, Perrot, Daniel, Le Roux, Cousin, Germain, Breton, Besson,
        Favre, Rochat, Jaquet, Bovet, Pittet, Monnier, Cuendet, Chappuis, Girardet, Reymond,
        Jaccard, Python, Rossier, Fragnière, Bugnon, Dafflon, Clerc, Berset, Perroud, Vuilleumier
    """),
    "it": split_list("""
        Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco,
        Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti,
        Barbieri, Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone,
        Longo, Gentile, Martinelli, Vitale, Lombardo, Serra, Coppola, De Santis, D'Angelo,
        Marchetti, Parisi, Villa, Conte, Ferraro, Ferri, Fabbri, Bianco, Marini, Grasso,
        Valentini, Messina, Sala, De Angelis, Gatti, Pellegrini, Palumbo, Sanna, Farina,
        Rizzi, Monti, Cattaneo, Morelli, Amato, Silvestri, Mazza, Testa, Grassi, Pellegrino,
        Carbone, Giuliani, Benedetti, Barone, Rossetti, Caputo, Montanari, Guerra, Palmieri,
        Bernardi, Martino, Fiore, De Rosa, Ferretti, Bellini, Basile, Riva, Donati, Piras,
        Vitali, Battaglia, Sartori, Neri, Costantini, Milani, Pagano, Ruggiero, Sorrentino,
        D'Amico, Orlando, Damico, Negri, Fumagalli, Brambilla, Bassi, Cattaneo, Galbiati,
        Ferrario, Colombi, Bernasconi, Pedrazzini, Bernasconi, Lurati, Cereghetti, Gianini,
        Bianchetti, Crivelli, Ghisletta, Pedroni, Quadri, Lepori, Camponovo, Soldati, Righetti,
        Di Stefano, Di Marco, Lo Russo, La Rosa, De Marco, Tedesco, Ricciardi, Salvi, Bruni,
        Farinelli, Cirillo, Esposito, Marras, Mele, Melis, Longhi, Rota, Zanetti, Zanella
    """),
    "gb": split_list("""
        Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson,
        Roberts, Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall,
        Lewis, Harris, Clarke, Patel, Jackson, Wood, Turner, Martin, Cooper, Hill, Ward,
        Morris, Moore, Clark, Lee, King, Baker, Harrison, Morgan, Allen, James, Scott,
        Phillips, Watson, Davis, Parker, Price, Bennett, Young, Griffiths, Mitchell, Kelly,
        Cook, Carter, Richardson, Bailey, Collins, Bell, Shaw, Murphy, Miller, Cox, Richards,
        Khan, Marshall, Anderson, Simpson, Ellis, Adams, Singh, Begum, Wilkinson, Foster,
        Chapman, Powell, Webb, Rogers, Gray, Mason, Ali, Hunt, Hussain, Campbell, Matthews,
        Owen, Palmer, Holmes, Mills, Barnes, Knight, Lloyd, Butler, Russell, Barker, Fisher,
        Stevens, Jenkins, Murray, Dixon, Harvey, Graham, Pearson, Ahmed, Fletcher, Walsh,
        Kaur, Gibson, Howard, Andrews, Stewart, Elliott, Reynolds, Saunders, Payne, Fox,
        Ford, Pearce, Day, Brooks, West, Lawrence, Cole, Atkinson, Bradley, Spencer, Gill,
        Dawson, Ball, Burton, O'Brien, Watts, Rose, Booth, Perry, Ryan, Grant, Wells,
        Armstrong, Francis, Rees, Hayes, Hart, Hudson, Newman, Barrett, Webster, Hunter,
        Gregory, Carr, Lowe, Page, Marsh, Riley, Dunn, Woods, Parsons, Berry, Stone, Reid,
        Holland, Hawkins, Harding, Porter, Robertson, Newton, Oliver, Reed, Kennedy, MacDonald
    """),
    "us": split_list("""
        Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez,
        Hernandez, Lopez, Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin,
        Lee, Perez, Thompson, White, Harris, Sanchez, Clark, Ramirez, Lewis, Robinson,
        Walker, Young, Allen, King, Wright, Scott, Torres, Nguyen, Hill, Flores, Green, Adams,
        Nelson, Baker, Hall, Rivera, Campbell, Mitchell, Carter, Roberts, Gomez, Phillips,
        Evans, Turner, Diaz, Parker, Cruz, Edwards, Collins, Reyes, Stewart, Morris, Morales,
        Murphy, Cook, Rogers, Gutierrez, Ortiz, Morgan, Cooper, Peterson, Bailey, Reed,
        Kelly, Howard, Ramos, Kim, Cox, Ward, Richardson, Watson, Brooks, Chavez, Wood,
        James, Bennett, Gray, Mendoza, Ruiz, Hughes, Price, Alvarez, Castillo, Sanders, Patel,
        Myers, Long, Ross, Foster, Jimenez, Powell, Jenkins, Perry, Russell, Sullivan, Bell,
        Coleman, Butler, Henderson, Barnes, Gonzales, Fisher, Vasquez, Simmons, Romero,
        Jordan, Patterson, Alexander, Hamilton, Graham, Reynolds, Griffin, Wallace, Moreno,
        West, Cole, Hayes, Bryant, Herrera, Gibson, Ellis, Tran, Medina, Aguilar, Stevens,
        Murray, Ford, Castro, Marshall, Owens, Harrison, Fernandez, McDonald, Woods,
        Washington, Kennedy, Wells, Vargas, Henry, Chen, Freeman, Webb, Tucker, Guzman,
        Burns, Crawford, Olson, Simpson, Porter, Hunter, Gordon, Mendez, Silva, Shaw, Snyder,
        Mason, Dixon, Munoz, Hunt, Hicks, Holmes, Palmer, Wagner, Black, Robertson, Boyd,
        Rose, Stone, Salazar, Fox, Warren, Mills, Meyer, Rice, Schmidt, Garza, Daniels
    """),
    "pt": split_list("""
        Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Jesus, Sousa,
        Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, Pinto, Carvalho,
        Teixeira, Moreira, Correia, Mendes, Nunes, Soares, Vieira, Monteiro, Cardoso, Rocha,
        Raposo, Neves, Coelho, Cruz, Cunha, Pires, Ramos, Reis, Simões, Antunes
    """),
    "tr": split_list("""
        Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir, Arslan,
        Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Şimşek, Polat, Özcan, Korkmaz,
        Çakır, Erdoğan, Yavuz, Can, Acar, Şen, Aktaş, Güler, Yalçın, Güneş, Bozkurt, Bulut
    """),
    "bk": split_list("""
        Krasniqi, Berisha, Gashi, Hoxha, Shala, Morina, Bytyqi, Kastrati, Hasani, Rexhepi,
        Ahmeti, Mustafa, Jashari, Zeqiri, Osmani, Jovanović, Petrović, Nikolić, Marković,
        Đorđević, Stojanović, Ilić, Pavlović, Kovačević, Horvat, Babić, Marić, Jurić, Novak,
        Knežević, Vuković, Popović, Lukić, Hodžić, Begić, Mehmedović, Delić, Hadžić, Kovač
    """),
    "es": split_list("""
        García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez,
        Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez,
        Ramos, Ruiz, Mendoza, Álvarez, Castillo, Jiménez, Moreno, Romero, Herrera, Vargas
    """),
}
