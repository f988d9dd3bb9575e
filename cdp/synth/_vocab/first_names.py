"""Given names per culture, most frequent first (adults born ~1935-2008).

Cultures: ``de`` (Germany, Austria, German-speaking Switzerland), ``fr``, ``it``, ``en`` (UK, US),
and the larger immigrant communities in the DACH region and the US: ``pt``, ``tr``, ``bk``
(Albanian / former Yugoslav), ``es``.
"""

from __future__ import annotations

from typing import Final

from cdp.synth._vocab._split import split_list

__all__ = ["COMPOUND_FIRST", "FEMALE", "MALE"]

MALE: Final[dict[str, tuple[str, ...]]] = {
    "de": split_list("""
        Thomas, Michael, Andreas, Peter, Daniel, Stefan, Christian, Martin, Markus, Hans,
        Alexander, Matthias, Sebastian, Jan, Tobias, Florian, Simon, Lukas, David, Patrick,
        Frank, Jürgen, Wolfgang, Klaus, Marco, Reto, Beat, Urs, Bruno, Walter, Werner, Heinz,
        Kurt, Rolf, Ernst, Josef, Franz, Karl, Johann, Johannes, Georg, Helmut, Manfred, Dieter,
        Uwe, Ralf, Bernd, Gerhard, Günter, Horst, Rainer, Dirk, Torsten, Sven, Jens, Oliver, Tim,
        Philipp, Jonas, Leon, Felix, Maximilian, Paul, Elias, Noah, Luca, Nico, Niklas, Moritz,
        Fabian, Dominik, Julian, Benjamin, Kevin, Dennis, Marcel, René, Roger, Adrian, Pascal,
        Roman, Samuel, Raphael, Fabio, Jonathan, Manuel, Mario, Robert, Richard, Friedrich,
        Wilhelm, Heinrich, Ludwig, Otto, Christoph, Benedikt, Bernhard, Hubert, Herbert, Erich,
        Alfred, Rudolf, Norbert, Harald, Volker, Joachim, Ulrich, Holger, Lars, Nils, Kai, Timo,
        Björn, Marc, Erwin, Fritz, Max, Anton, Emil, Theo, Ben, Finn, Valentin, Gabriel, Konrad,
        Jakob, Vincent, Silvan, Dario, Nicolas, Stephan, Armin, Albert, Hannes, Leonard, Mathias,
        Gregor, Lorenz, Severin, Cyrill, Ueli, Ruedi, Hansjörg, Heinrich, Alois, Engelbert,
        Gottfried, Siegfried, Arno, Detlef, Hartmut, Eckhard, Wilfried, Reinhard, Axel, Carsten,
        Ingo, Mirko, Steffen, Sascha, André, Benno, Emanuel, Elia, Jannik, Tom, Mats, Henrik,
        Luis, Aaron, Levin, Janis, Yannick, Joel, Lars, Ivo, Flurin, Gian, Mauro, Sandro
    """),
    "fr": split_list("""
        Jean, Pierre, Michel, Philippe, Alain, Nicolas, Christophe, Patrick, Daniel, Laurent,
        Frédéric, Stéphane, David, Éric, Olivier, Julien, Sébastien, Thierry, Pascal, Christian,
        François, Jacques, Bernard, André, Claude, Gérard, Dominique, Thomas, Alexandre,
        Guillaume, Antoine, Maxime, Romain, Vincent, Mathieu, Nicolas, Benoît, Cédric, Jérôme,
        Yves, Marc, Luc, Didier, Serge, Hervé, Bruno, Gilles, Franck, Emmanuel, Fabrice, Arnaud,
        Lucas, Hugo, Louis, Théo, Gabriel, Arthur, Raphaël, Jules, Adam, Léo, Nathan, Ethan,
        Mathis, Enzo, Noé, Tom, Paul, Baptiste, Clément, Quentin, Kevin, Florian, Adrien,
        Jonathan, Samuel, Valentin, Rémi, Loïc, Yann, Gaëtan, Mickaël, Sylvain, Xavier, Joël,
        Roger, René, Marcel, Henri, Georges, Robert, Raymond, Lucien, Maurice, Gaston, Fernand,
        Émile, Victor, Martin, Simon, Benjamin, Aurélien, Damien, Fabien, Grégory, Jean-Pierre,
        Jean-Marc, Jean-Luc, Jean-Claude, Jean-François, Jean-Paul, Pierre-Alain
    """),
    "it": split_list("""
        Giuseppe, Giovanni, Antonio, Mario, Luigi, Francesco, Angelo, Vincenzo, Pietro, Salvatore,
        Carlo, Franco, Domenico, Bruno, Paolo, Michele, Giorgio, Aldo, Sergio, Luciano, Roberto,
        Marco, Alessandro, Andrea, Luca, Stefano, Matteo, Lorenzo, Davide, Simone, Federico,
        Riccardo, Gabriele, Fabio, Massimo, Maurizio, Claudio, Enrico, Daniele, Alberto,
        Giancarlo, Gianluca, Emanuele, Nicola, Alessio, Cristian, Mattia, Leonardo, Tommaso,
        Edoardo, Filippo, Diego, Samuele, Giacomo, Pietro, Nicolò, Raffaele, Gennaro, Enzo,
        Renato, Dario, Rocco, Silvio, Umberto, Vittorio, Ettore, Cesare, Adriano, Ivan, Walter,
        Giulio, Lucio, Ugo, Piero, Gino, Dino, Elio, Ruggero, Fausto, Tiziano, Valerio, Ivano,
        Flavio, Loris, Gianni, Nino, Sandro, Silvano, Mirko, Patrizio, Raimondo, Ottavio,
        Massimiliano, Gianfranco, Pierluigi, Gian Marco, Manuel, Christian, Jacopo, Elia
    """),
    "en": split_list("""
        James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles,
        Christopher, Daniel, Matthew, Anthony, Mark, Donald, Steven, Paul, Andrew, Joshua,
        Kenneth, Kevin, Brian, George, Timothy, Ronald, Edward, Jason, Jeffrey, Ryan, Jacob,
        Gary, Nicholas, Eric, Jonathan, Stephen, Larry, Justin, Scott, Brandon, Benjamin,
        Samuel, Gregory, Alexander, Frank, Patrick, Raymond, Jack, Dennis, Jerry, Tyler, Aaron,
        Jose, Adam, Nathan, Henry, Douglas, Zachary, Peter, Kyle, Ethan, Walter, Noah, Jeremy,
        Christian, Keith, Roger, Terry, Gerald, Harold, Sean, Austin, Carl, Arthur, Lawrence,
        Dylan, Jesse, Jordan, Bryan, Billy, Joe, Bruce, Gabriel, Logan, Albert, Willie, Alan,
        Juan, Wayne, Elijah, Randy, Roy, Vincent, Ralph, Eugene, Russell, Bobby, Mason, Philip,
        Louis, Oliver, Harry, Jake, Charlie, Alfie, Freddie, Archie, Leo, Oscar, Liam, Callum,
        Connor, Declan, Rhys, Owen, Gareth, Ian, Neil, Graham, Stuart, Colin, Martin, Simon,
        Nigel, Trevor, Derek, Malcolm, Barry, Kieran, Lewis, Jamie, Hugh, Rory, Fraser, Euan
    """),
    "pt": split_list("""
        José, João, António, Manuel, Francisco, Carlos, Paulo, Pedro, Luís, Rui, Jorge, Miguel,
        Nuno, Tiago, Ricardo, Bruno, Diogo, Fernando, Filipe, Hugo, Sérgio, Vítor, Mário,
        Rafael, Gonçalo, Duarte, Joaquim, Armando, Fábio, André
    """),
    "tr": split_list("""
        Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, İsmail, Osman, Yusuf, Murat,
        Ömer, Ramazan, Halil, Süleyman, Abdullah, Mahmut, Recep, Fatih, Emre, Burak, Serkan,
        Kemal, Cem, Can, Deniz, Tarkan, Volkan, Kaan, Onur, Eren, Yasin, Enes, Barış
    """),
    "bk": split_list("""
        Arben, Besnik, Bekim, Driton, Fatmir, Agron, Ilir, Valon, Artan, Blerim, Afrim, Burim,
        Dragan, Goran, Zoran, Milan, Nenad, Dejan, Marko, Nikola, Stefan, Luka, Ivan, Petar,
        Aleksandar, Miroslav, Darko, Željko, Tomislav, Damir, Edin, Emir, Adnan, Amir, Jasmin
    """),
    "es": split_list("""
        José, Juan, Luis, Carlos, Jorge, Miguel, Jesús, Antonio, Alejandro, Francisco,
        Manuel, Pedro, Ricardo, Roberto, Fernando, Javier, Eduardo, Daniel, Diego, Sergio,
        Raúl, Rafael, Andrés, Héctor, Mario, Óscar, Pablo, Alberto, Arturo, Enrique
    """),
}

FEMALE: Final[dict[str, tuple[str, ...]]] = {
    "de": split_list("""
        Maria, Anna, Ursula, Monika, Petra, Elisabeth, Sabine, Renate, Helga, Karin, Brigitte,
        Ingrid, Erika, Andrea, Claudia, Susanne, Gabriele, Christina, Christine, Barbara,
        Stefanie, Julia, Katharina, Sandra, Nicole, Melanie, Daniela, Anja, Nadine, Tanja,
        Simone, Silvia, Manuela, Martina, Cornelia, Regula, Ruth, Verena, Heidi, Margrit,
        Rosmarie, Esther, Franziska, Laura, Lea, Sarah, Lisa, Lena, Hannah, Hanna, Sophie,
        Sophia, Emma, Mia, Lina, Leonie, Marie, Johanna, Charlotte, Clara, Amelie, Nina, Jana,
        Vanessa, Jennifer, Jessica, Michelle, Jasmin, Carina, Selina, Chiara, Alina, Elena,
        Paula, Luisa, Mila, Livia, Tamara, Corinne, Sonja, Gisela, Hildegard, Gertrud,
        Irmgard, Waltraud, Elfriede, Anneliese, Edith, Erna, Hedwig, Margarete, Marianne, Doris,
        Heike, Birgit, Kerstin, Angelika, Beate, Jutta, Katrin, Silke, Ute, Anke, Bettina, Iris,
        Judith, Miriam, Rebecca, Theresa, Veronika, Isabel, Carmen, Eva, Magdalena, Agnes,
        Helene, Ida, Frieda, Greta, Ella, Nora, Maja, Valentina, Annika, Svenja, Larissa, Lara,
        Fiona, Céline, Jacqueline, Yvonne, Denise, Priska, Beatrice, Bernadette, Marlies,
        Vreni, Käthi, Elsbeth, Hedi, Trudi, Lotti, Dora, Irene, Rita, Evelyne, Sibylle, Karolina,
        Sina, Nadja, Melina, Noemi, Zoe, Aline, Leandra, Anina, Seraina, Ladina, Jolanda
    """),
    "fr": split_list("""
        Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Christine, Monique, Valérie,
        Sandrine, Véronique, Stéphanie, Sophie, Céline, Chantal, Patricia, Anne, Martine,
        Nicole, Brigitte, Julie, Aurélie, Caroline, Émilie, Camille, Laure, Claire, Hélène,
        Virginie, Florence, Sabine, Corinne, Dominique, Élisabeth, Jacqueline, Danielle,
        Laurence, Pascale, Emma, Léa, Chloé, Manon, Inès, Jade, Louise, Alice, Lina, Léna,
        Zoé, Lucie, Sarah, Juliette, Clémence, Mathilde, Pauline, Marine, Audrey, Élodie,
        Mélanie, Charlotte, Margaux, Océane, Anaïs, Justine, Morgane, Gaëlle, Agnès, Odile,
        Simone, Jeanne, Yvette, Suzanne, Madeleine, Denise, Colette, Josiane, Ginette,
        Geneviève, Mireille, Annick, Béatrice, Joëlle, Delphine, Karine, Estelle, Noémie,
        Marion, Amandine, Coralie, Fanny, Anne-Marie, Marie-Claire, Marie-Christine,
        Marie-France, Anne-Sophie
    """),
    "it": split_list("""
        Maria, Anna, Giuseppina, Rosa, Angela, Giovanna, Teresa, Lucia, Carmela, Caterina,
        Francesca, Anna Maria, Antonietta, Carla, Elena, Concetta, Rita, Margherita, Franca,
        Paola, Laura, Giulia, Chiara, Sara, Valentina, Federica, Alessandra, Silvia, Martina,
        Elisa, Roberta, Sofia, Aurora, Alice, Ginevra, Emma, Giorgia, Greta, Beatrice,
        Anna Rita, Cristina, Monica, Barbara, Simona, Daniela, Patrizia, Claudia, Stefania,
        Manuela, Antonella, Raffaella, Lorena, Michela, Serena, Ilaria, Erika, Veronica,
        Debora, Camilla, Arianna, Gaia, Matilde, Noemi, Bianca, Ludovica, Viola, Nicole,
        Elisabetta, Luisa, Marisa, Giuliana, Graziella, Luciana, Loredana, Ornella, Rosanna,
        Adriana, Nadia, Tiziana, Marina, Lidia, Sabrina, Gabriella, Vittoria, Irene, Marta,
        Lucrezia, Benedetta, Maria Grazia, Pina
    """),
    "en": split_list("""
        Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen,
        Lisa, Nancy, Betty, Margaret, Sandra, Ashley, Kimberly, Emily, Donna, Michelle,
        Carol, Amanda, Dorothy, Melissa, Deborah, Stephanie, Rebecca, Sharon, Laura, Cynthia,
        Kathleen, Amy, Angela, Shirley, Anna, Brenda, Pamela, Emma, Nicole, Helen, Samantha,
        Katherine, Christine, Debra, Rachel, Carolyn, Janet, Catherine, Maria, Heather, Diane,
        Ruth, Julie, Olivia, Joyce, Virginia, Victoria, Kelly, Lauren, Christina, Joan,
        Evelyn, Judith, Megan, Andrea, Cheryl, Hannah, Jacqueline, Martha, Gloria, Teresa,
        Ann, Sara, Madison, Frances, Kathryn, Janice, Jean, Abigail, Alice, Judy, Sophia,
        Grace, Denise, Amber, Doris, Marilyn, Danielle, Beverly, Isabella, Theresa, Diana,
        Natalie, Brittany, Charlotte, Marie, Kayla, Alexis, Lori, Amelia, Isla, Ava, Mia,
        Poppy, Ella, Lily, Evie, Freya, Chloe, Ellie, Sophie, Holly, Gemma, Kirsty, Claire,
        Joanne, Lindsay, Fiona, Siobhan, Eleanor, Harriet, Imogen, Lucy, Alison, Gillian
    """),
    "pt": split_list("""
        Maria, Ana, Joana, Sofia, Beatriz, Mariana, Inês, Rita, Catarina, Sara, Marta, Cláudia,
        Patrícia, Sandra, Carla, Paula, Susana, Filipa, Andreia, Liliana, Vânia, Daniela,
        Fernanda, Isabel, Teresa, Conceição, Fátima, Lurdes, Helena, Raquel
    """),
    "tr": split_list("""
        Fatma, Ayşe, Emine, Hatice, Zeynep, Elif, Meryem, Şerife, Zehra, Sultan, Hanife,
        Merve, Özlem, Esra, Yasemin, Büşra, Derya, Gül, Aylin, Ebru, Seda, Sibel, Tuğba,
        Gamze, Pınar, Dilek, Burcu, Aslı, Ceren, Melike, Selin, Nur, Leyla, Songül
    """),
    "bk": split_list("""
        Arta, Blerta, Drita, Fatime, Mimoza, Valbona, Vjosa, Albulena, Besa, Hana, Arbnora,
        Ana, Jelena, Marija, Milica, Ivana, Dragana, Snežana, Jasmina, Vesna, Maja, Tamara,
        Sanja, Gordana, Mirjana, Katarina, Nataša, Biljana, Amra, Lejla, Amela, Selma
    """),
    "es": split_list("""
        María, Guadalupe, Juana, Margarita, Verónica, Rosa, Leticia, Gabriela, Patricia,
        Alejandra, Ana, Carmen, Elena, Adriana, Claudia, Laura, Sofía, Valentina, Isabella,
        Camila, Lucía, Daniela, Mariana, Fernanda, Andrea, Paola, Natalia, Diana, Jimena
    """),
}

#: Double given names, written with a hyphen (Swiss forms without one are a noise variant).
COMPOUND_FIRST: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "de": (
        split_list("""
            Hans-Peter, Karl-Heinz, Hans-Jürgen, Klaus-Dieter, Hans-Rudolf, Hans-Ulrich,
            Franz-Josef, Jan-Philipp, Hans-Georg, Peter-Paul, Heinz-Werner, Hans-Martin
        """),
        split_list("""
            Anna-Lena, Marie-Luise, Anne-Marie, Eva-Maria, Anna-Maria, Lisa-Marie, Hanna-Lena,
            Rosa-Maria, Marie-Theres, Sarah-Lena
        """),
    ),
    "fr": (
        split_list("Jean-Marie, Jean-Louis, Jean-Michel, Jean-Philippe, Pierre-Yves, Paul-Henri"),
        split_list("Marie-Laure, Marie-Pierre, Marie-Hélène, Anne-Laure, Marie-Thérèse"),
    ),
    "it": (
        split_list("Gian Luca, Gian Paolo, Pier Paolo, Gian Carlo, Gian Piero"),
        split_list("Maria Luisa, Maria Teresa, Maria Rosa, Anna Lisa, Maria Chiara"),
    ),
}
