"""Localities per country, most populous first: ``name|postcodes|phone area|language|alt names``.

* postcodes: ``8001-8057`` (every code in the range), ``1010-1230/10`` (step), ``8400`` (one code),
  for GB a space-separated list of outward codes (the inward code is generated).
* phone area: the trunk-less area code (``44`` for 044 Zurich; Italian codes keep their 0); GB
  ``area:subscriber length:subscriber prefixes`` (space-separated); US a list of area codes.
* language: the local language (cultures of ``first_names``), US the state.
* alt names: other spellings/exonyms people write (Zurich, Genf, Munich...).
"""

from __future__ import annotations

from typing import Final

__all__ = ["PLACES"]

PLACES: Final[dict[str, str]] = {
    "CH": """
        Zürich|8001-8057|44|de|Zurich
        Genève|1201-1209|22|fr|Geneva,Genf
        Basel|4051-4059|61|de|Bâle,Basle
        Lausanne|1003-1018|21|fr|
        Bern|3004-3027|31|de|Berne
        Winterthur|8400-8411|52|de|
        Luzern|6003-6006|41|de|Lucerne
        St. Gallen|9000-9016|71|de|Sankt Gallen,St.Gallen
        Lugano|6900-6908|91|it|
        Biel/Bienne|2502-2505|32|de|Biel,Bienne
        Thun|3600-3608|33|de|
        Köniz|3098|31|de|
        La Chaux-de-Fonds|2300|32|fr|
        Fribourg|1700|26|fr|Freiburg
        Schaffhausen|8200|52|de|
        Chur|7000|81|de|
        Vernier|1214|22|fr|
        Uster|8610|44|de|
        Sion|1950|27|fr|Sitten
        Neuchâtel|2000|32|fr|Neuenburg
        Lancy|1212|22|fr|
        Emmen|6020|41|de|Emmenbrücke
        Zug|6300|41|de|
        Yverdon-les-Bains|1400|24|fr|Yverdon
        Dübendorf|8600|44|de|
        Kriens|6010|41|de|
        Rapperswil-Jona|8640|55|de|Rapperswil
        Dietikon|8953|44|de|
        Montreux|1820|21|fr|
        Frauenfeld|8500|52|de|
        Wetzikon|8620|44|de|
        Baar|6340|41|de|
        Meyrin|1217|22|fr|
        Riehen|4125|61|de|
        Wädenswil|8820|44|de|
        Renens|1020|21|fr|
        Carouge|1227|22|fr|
        Bulle|1630|26|fr|
        Aarau|5000|62|de|
        Allschwil|4123|61|de|
        Horgen|8810|44|de|
        Kreuzlingen|8280|71|de|
        Wil|9500|71|de|
        Reinach|4153|61|de|
        Bellinzona|6500|91|it|
        Nyon|1260|22|fr|
        Vevey|1800|21|fr|
        Olten|4600|62|de|
        Baden|5400|56|de|
        Kloten|8302|44|de|
        Bülach|8180|44|de|
        Gossau|9200|71|de|
        Burgdorf|3400|34|de|
        Thalwil|8800|44|de|
        Pully|1009|21|fr|
        Morges|1110|21|fr|
        Onex|1213|22|fr|
        Adliswil|8134|44|de|
        Solothurn|4500|32|de|Soleure
        Muttenz|4132|61|de|
        Locarno|6600|91|it|
        Regensdorf|8105|44|de|
        Schlieren|8952|44|de|
        Liestal|4410|61|de|
        Wettingen|5430|56|de|
        Herisau|9100|71|de|
        Martigny|1920|27|fr|
        Sierre|3960|27|fr|Siders
        Pratteln|4133|61|de|
        Binningen|4102|61|de|
        Volketswil|8604|44|de|
        Opfikon|8152|44|de|
        Küsnacht|8700|44|de|
        Meilen|8706|44|de|
        Stäfa|8712|44|de|
        Männedorf|8708|44|de|
        Ostermundigen|3072|31|de|
        Steffisburg|3612|33|de|
        Langenthal|4900|62|de|
        Spiez|3700|33|de|
        Interlaken|3800|33|de|
        Lyss|3250|32|de|
        Münsingen|3110|31|de|
        Horw|6048|41|de|
        Cham|6330|41|de|
        Schwyz|6430|41|de|
        Stans|6370|41|de|
        Sarnen|6060|41|de|
        Altdorf|6460|41|de|
        Rorschach|9400|71|de|
        Arbon|9320|71|de|
        Amriswil|8580|71|de|
        Weinfelden|8570|71|de|
        Davos|7270|81|de|
        Landquart|7302|81|de|
        Wohlen|5610|56|de|
        Brugg|5200|56|de|
        Rheinfelden|4310|61|de|
        Zofingen|4800|62|de|
        Lenzburg|5600|62|de|
        Grenchen|2540|32|de|Granges
        Glarus|8750|55|de|
        Appenzell|9050|71|de|
        Thônex|1226|22|fr|
        Monthey|1870|24|fr|
        Delémont|2800|32|fr|Delsberg
        Gland|1196|22|fr|
        Mendrisio|6850|91|it|
        Chiasso|6830|91|it|
        Minusio|6648|91|it|
        Ascona|6612|91|it|
    """,
    "DE": """
        Berlin|10115-14199|30|de|
        Hamburg|20095-22769|40|de|
        München|80331-81929|89|de|Munich,Muenchen
        Köln|50667-51149|221|de|Cologne,Koeln
        Frankfurt am Main|60306-60599|69|de|Frankfurt
        Stuttgart|70173-70629|711|de|
        Düsseldorf|40210-40629|211|de|Duesseldorf
        Leipzig|04103-04357|341|de|
        Dortmund|44135-44388|231|de|
        Essen|45127-45359|201|de|
        Bremen|28195-28779|421|de|
        Dresden|01067-01328|351|de|
        Hannover|30159-30669|511|de|Hanover
        Nürnberg|90402-90491|911|de|Nuremberg
        Duisburg|47051-47279|203|de|
        Bochum|44787-44894|234|de|
        Wuppertal|42103-42399|202|de|
        Bielefeld|33602-33739|521|de|
        Bonn|53111-53229|228|de|
        Münster|48143-48167|251|de|
        Mannheim|68159-68309|621|de|
        Karlsruhe|76131-76229|721|de|
        Augsburg|86150-86199|821|de|
        Wiesbaden|65183-65207|611|de|
        Mönchengladbach|41061-41239|2161|de|
        Gelsenkirchen|45879-45899|209|de|
        Aachen|52062-52080|241|de|
        Braunschweig|38100-38126|531|de|
        Kiel|24103-24159|431|de|
        Chemnitz|09111-09247|371|de|
        Halle (Saale)|06108-06132|345|de|Halle
        Magdeburg|39104-39130|391|de|
        Freiburg im Breisgau|79098-79117|761|de|Freiburg
        Krefeld|47798-47839|2151|de|
        Mainz|55116-55131|6131|de|
        Lübeck|23552-23570|451|de|
        Erfurt|99084-99099|361|de|
        Oberhausen|46045-46149|208|de|
        Rostock|18055-18147|381|de|
        Kassel|34117-34134|561|de|
        Hagen|58089-58135|2331|de|
        Potsdam|14467-14482|331|de|
        Saarbrücken|66111-66133|681|de|
        Hamm|59063-59077|2381|de|
        Ludwigshafen am Rhein|67059-67071|621|de|Ludwigshafen
        Oldenburg|26121-26135|441|de|
        Mülheim an der Ruhr|45468-45481|208|de|Mülheim
        Osnabrück|49074-49090|541|de|
        Leverkusen|51371-51381|214|de|
        Heidelberg|69115-69126|6221|de|
        Darmstadt|64283-64297|6151|de|
        Solingen|42651-42719|212|de|
        Regensburg|93047-93059|941|de|
        Herne|44623-44653|2323|de|
        Paderborn|33098-33109|5251|de|
        Neuss|41460-41472|2131|de|
        Ingolstadt|85049-85057|841|de|
        Offenbach am Main|63065-63075|69|de|Offenbach
        Fürth|90762-90768|911|de|
        Würzburg|97070-97084|931|de|
        Ulm|89073-89081|731|de|
        Heilbronn|74072-74081|7131|de|
        Pforzheim|75172-75181|7231|de|
        Wolfsburg|38440-38448|5361|de|
        Göttingen|37073-37085|551|de|
        Bottrop|46236-46244|2041|de|
        Reutlingen|72760-72770|7121|de|
        Koblenz|56068-56077|261|de|
        Bremerhaven|27568-27580|471|de|
        Recklinghausen|45657-45665|2361|de|
        Bergisch Gladbach|51427-51469|2202|de|
        Erlangen|91052-91058|9131|de|
        Jena|07743-07751|3641|de|
        Remscheid|42853-42899|2191|de|
        Trier|54290-54296|651|de|
        Salzgitter|38226-38259|5341|de|
        Moers|47441-47447|2841|de|
        Siegen|57072-57080|271|de|
        Hildesheim|31134-31141|5121|de|
        Cottbus|03042-03055|355|de|
        Gütersloh|33330-33335|5241|de|
        Kaiserslautern|67655-67663|631|de|
        Schwerin|19053-19063|385|de|
        Witten|58452-58456|2302|de|
        Konstanz|78462-78467|7531|de|
        Esslingen am Neckar|73728-73734|711|de|Esslingen
        Ludwigsburg|71634-71642|7141|de|
        Tübingen|72070-72076|7071|de|
        Flensburg|24937-24944|461|de|
        Marburg|35037-35043|6421|de|
        Bamberg|96047-96052|951|de|
        Bayreuth|95444-95448|921|de|
        Passau|94032-94036|851|de|
        Rosenheim|83022-83026|8031|de|
        Landshut|84028-84036|871|de|
        Kempten (Allgäu)|87435-87439|831|de|Kempten
        Lörrach|79539-79541|7621|de|
        Friedrichshafen|88045-88048|7541|de|
        Villingen-Schwenningen|78048-78056|7721|de|
        Garmisch-Partenkirchen|82467|8821|de|
        Starnberg|82319|8151|de|
        Dachau|85221|8131|de|
        Freising|85354-85356|8161|de|
        Weimar|99423-99428|3643|de|
        Görlitz|02826-02828|3581|de|
        Zwickau|08056-08066|375|de|
        Plauen|08523-08529|3741|de|
        Stralsund|18435-18439|3831|de|
        Greifswald|17489-17493|3834|de|
        Lüneburg|21335-21339|4131|de|
        Celle|29221-29229|5141|de|
        Wilhelmshaven|26382-26389|4421|de|
        Singen (Hohentwiel)|78224|7731|de|Singen
        Weil am Rhein|79576|7621|de|
    """,
    "AT": """
        Wien|1010-1230/10|1|de|Vienna
        Graz|8010-8055/5|316|de|
        Linz|4020-4040/10|732|de|
        Salzburg|5020-5026|662|de|
        Innsbruck|6020|512|de|
        Klagenfurt am Wörthersee|9020|463|de|Klagenfurt
        Villach|9500|4242|de|
        Wels|4600|7242|de|
        Sankt Pölten|3100|2742|de|St. Pölten
        Dornbirn|6850|5572|de|
        Wiener Neustadt|2700|2622|de|
        Steyr|4400|7252|de|
        Feldkirch|6800|5522|de|
        Bregenz|6900|5574|de|
        Leonding|4060|732|de|
        Klosterneuburg|3400|2243|de|
        Baden|2500|2252|de|Baden bei Wien
        Wolfsberg|9400|4352|de|
        Leoben|8700|3842|de|
        Krems an der Donau|3500|2732|de|Krems
        Traun|4050|7229|de|
        Amstetten|3300|7472|de|
        Lustenau|6890|5577|de|
        Kapfenberg|8605|3862|de|
        Mödling|2340|2236|de|
        Hallein|5400|6245|de|
        Kufstein|6330|5372|de|
        Traiskirchen|2514|2252|de|
        Schwechat|2320|1|de|
        Braunau am Inn|5280|7722|de|Braunau
        Stockerau|2000|2266|de|
        Saalfelden am Steinernen Meer|5760|6582|de|Saalfelden
        Ansfelden|4052|7229|de|
        Tulln an der Donau|3430|2272|de|Tulln
        Hohenems|6845|5576|de|
        Spittal an der Drau|9800|4762|de|
        Telfs|6410|5262|de|
        Ternitz|2630|2630|de|
        Perchtoldsdorf|2380|1|de|
        Feldbach|8330|3152|de|
        Bludenz|6700|5552|de|
        Bad Ischl|4820|6132|de|
        Eisenstadt|7000|2682|de|
        Gmunden|4810|7612|de|
        Zell am See|5700|6542|de|
        Lienz|9900|4852|de|
        Vöcklabruck|4840|7672|de|
        Ried im Innkreis|4910|7752|de|
        Schwaz|6130|5242|de|
        Hall in Tirol|6060|5223|de|
        Wörgl|6300|5332|de|
        Knittelfeld|8720|3512|de|
        Judenburg|8750|3572|de|
        Mistelbach|2130|2572|de|
        Gänserndorf|2230|2282|de|
        Korneuburg|2100|2262|de|
        Neunkirchen|2620|2635|de|
        Bruck an der Mur|8600|3862|de|
        Weiz|8160|3172|de|
        Gleisdorf|8200|3112|de|
    """,
    "FR": """
        Paris|75001-75020|1|fr|
        Marseille|13001-13016|4|fr|
        Lyon|69001-69009|4|fr|Lyons
        Toulouse|31000-31500/100|5|fr|
        Nice|06000-06300/100|4|fr|Nizza
        Nantes|44000-44300/100|2|fr|
        Montpellier|34000-34090/10|4|fr|
        Strasbourg|67000-67200/100|3|fr|Strassburg,Straßburg
        Bordeaux|33000-33800/100|5|fr|
        Lille|59000-59800/100|3|fr|
        Rennes|35000-35700/100|2|fr|
        Reims|51100|3|fr|
        Toulon|83000-83200/100|4|fr|
        Saint-Étienne|42000-42100/100|4|fr|Saint-Etienne,St-Étienne
        Le Havre|76600-76620/10|2|fr|
        Grenoble|38000-38100/100|4|fr|
        Dijon|21000|3|fr|
        Angers|49000-49100/100|2|fr|
        Nîmes|30000-30900/100|4|fr|
        Villeurbanne|69100|4|fr|
        Clermont-Ferrand|63000-63100/100|4|fr|
        Le Mans|72000-72100/100|2|fr|
        Aix-en-Provence|13080-13100/10|4|fr|
        Brest|29200|2|fr|
        Tours|37000-37200/100|2|fr|
        Amiens|80000-80090/10|3|fr|
        Limoges|87000-87280/10|5|fr|
        Annecy|74000|4|fr|
        Perpignan|66000-66100/100|4|fr|
        Boulogne-Billancourt|92100|1|fr|
        Metz|57000-57070/10|3|fr|
        Besançon|25000|3|fr|Besancon
        Orléans|45000-45100/100|2|fr|Orleans
        Saint-Denis|93200|1|fr|
        Argenteuil|95100|1|fr|
        Rouen|76000-76100/100|2|fr|
        Mulhouse|68100-68200/100|3|fr|Mülhausen
        Montreuil|93100|1|fr|
        Caen|14000|2|fr|
        Nancy|54000-54100/100|3|fr|
        Versailles|78000|1|fr|
        Annemasse|74100|4|fr|
        Colmar|68000|3|fr|
        Pau|64000|5|fr|
        La Rochelle|17000|5|fr|
        Avignon|84000|4|fr|
        Poitiers|86000|5|fr|
        Cannes|06400|4|fr|
        Antibes|06600|4|fr|
        Chambéry|73000|4|fr|
        Thonon-les-Bains|74200|4|fr|
        Évian-les-Bains|74500|4|fr|Evian
        Saint-Malo|35400|2|fr|
        Bayonne|64100|5|fr|
        Vannes|56000|2|fr|
        Quimper|29000|2|fr|
        Saint-Louis|68300|3|fr|
    """,
    "IT": """
        Roma|00118-00199|06|it|Rome,Rom
        Milano|20121-20162|02|it|Milan,Mailand
        Napoli|80121-80147|081|it|Naples,Neapel
        Torino|10121-10156|011|it|Turin
        Palermo|90121-90151|091|it|
        Genova|16121-16167|010|it|Genoa,Genua
        Bologna|40121-40141|051|it|
        Firenze|50121-50145|055|it|Florence,Florenz
        Bari|70121-70132|080|it|
        Catania|95121-95131|095|it|
        Venezia|30121-30176|041|it|Venice,Venedig
        Verona|37121-37142|045|it|
        Messina|98121-98168|090|it|
        Padova|35121-35143|049|it|Padua
        Trieste|34121-34151|040|it|Triest
        Brescia|25121-25136|030|it|
        Parma|43121-43126|0521|it|
        Taranto|74121-74123|099|it|
        Prato|59100|0574|it|
        Modena|41121-41126|059|it|
        Reggio Calabria|89121-89135|0965|it|
        Reggio Emilia|42121-42124|0522|it|Reggio nell'Emilia
        Perugia|06121-06135|075|it|
        Livorno|57121-57128|0586|it|
        Ravenna|48121-48125|0544|it|
        Cagliari|09121-09134|070|it|
        Foggia|71121-71122|0881|it|
        Rimini|47921-47924|0541|it|
        Salerno|84121-84135|089|it|
        Ferrara|44121-44124|0532|it|
        Sassari|07100|079|it|
        Latina|04100|0773|it|
        Monza|20900|039|it|
        Bergamo|24121-24129|035|it|
        Como|22100|031|it|
        Varese|21100|0332|it|
        Trento|38121-38123|0461|it|Trient
        Bolzano|39100|0471|it|Bozen
        Vicenza|36100|0444|it|
        Treviso|31100|0422|it|
        Novara|28100|0321|it|
        Piacenza|29121-29122|0523|it|
        Udine|33100|0432|it|
        Lecco|23900|0341|it|
        Pisa|56121-56124|050|it|
        Lucca|55100|0583|it|
        Siena|53100|0577|it|
        Ancona|60121-60131|071|it|
        Pescara|65121-65129|085|it|
        Lecce|73100|0832|it|
        Sanremo|18038|0184|it|San Remo
        La Spezia|19121-19126|0187|it|
        Pavia|27100|0382|it|
        Cremona|26100|0372|it|
        Mantova|46100|0376|it|Mantua
    """,
    "GB": """
        London|SW4 SW11 SW19 SE1 SE15 E1 E8 E14 E17 N1 N4 N7 NW3 W2 W4|20:8:3 7 8|en|
        Birmingham|B1 B2 B3 B5 B13 B15 B17 B29 B30|121:7:2 3 4 5 6 7|en|
        Manchester|M1 M2 M3 M4 M13 M14 M15 M16 M20 M21|161:7:2 3 4 5 6 7 8 9|en|
        Leeds|LS1 LS2 LS6 LS7 LS8 LS11 LS17|113:7:2 3 4 5|en|
        Glasgow|G1 G2 G3 G11 G12 G31 G41 G42|141:7:2 3 4 5 6 7 8 9|en|
        Sheffield|S1 S2 S7 S10 S11|114:7:2 3 4 5|en|
        Liverpool|L1 L3 L8 L15 L17 L18 L25|151:7:2 3 4 5 6 7 8 9|en|
        Bristol|BS1 BS2 BS3 BS6 BS7 BS8 BS16|117:7:2 3 4|en|
        Edinburgh|EH1 EH3 EH6 EH9 EH10 EH12 EH16|131:7:2 3 4 5 6 7 8|en|
        Leicester|LE1 LE2 LE3 LE4 LE5|116:7:2 3 4|en|
        Nottingham|NG1 NG2 NG3 NG5 NG7 NG9|115:7:2|en|
        Newcastle upon Tyne|NE1 NE2 NE3 NE4 NE6 NE7|191:7:2 3 4 5 6 7 8 9|en|Newcastle
        Cardiff|CF10 CF11 CF14 CF23 CF24|29:8:20 21 22|en|Caerdydd
        Belfast|BT1 BT5 BT7 BT9 BT15 BT17|28:8:90 95|en|
        Southampton|SO14 SO15 SO16 SO17 SO19|23:8:80|en|
        Portsmouth|PO1 PO2 PO3 PO4 PO5 PO6|23:8:92|en|
        Coventry|CV1 CV2 CV3 CV5 CV6|24:8:76|en|
        Reading|RG1 RG2 RG4 RG6 RG30|118:7:2 3 4|en|
        Oxford|OX1 OX2 OX3 OX4|1865:6:2 3 4 5 7 8 9|en|
        Cambridge|CB1 CB2 CB3 CB4 CB5|1223:6:2 3 4 5 7 8 9|en|
        Brighton|BN1 BN2 BN3|1273:6:2 3 4 5 7 8 9|en|
        York|YO1 YO10 YO24 YO30 YO31|1904:6:2 3 4 5 7 8 9|en|
        Bath|BA1 BA2|1225:6:2 3 4 5 7 8 9|en|
        Norwich|NR1 NR2 NR3 NR4 NR7|1603:6:2 3 4 5 7 8 9|en|
        Exeter|EX1 EX2 EX4|1392:6:2 3 4 5 7 8 9|en|
        Aberdeen|AB10 AB11 AB15 AB24 AB25|1224:6:2 3 4 5 7 8 9|en|
        Plymouth|PL1 PL3 PL4 PL6 PL9|1752:6:2 3 4 5 7 8 9|en|
        Derby|DE1 DE3 DE22 DE23 DE24|1332:6:2 3 4 5 7 8 9|en|
        Stoke-on-Trent|ST1 ST3 ST4 ST6|1782:6:2 3 4 5 7 8 9|en|
        Wolverhampton|WV1 WV3 WV6 WV10 WV14|1902:6:2 3 4 5 7 8 9|en|
        Swansea|SA1 SA2 SA3 SA6|1792:6:2 3 4 5 7 8 9|en|
        Milton Keynes|MK1 MK5 MK9 MK10 MK15|1908:6:2 3 4 5 7 8 9|en|
        Northampton|NN1 NN2 NN3 NN5|1604:6:2 3 4 5 7 8 9|en|
        Luton|LU1 LU2 LU3 LU4|1582:6:2 3 4 5 7 8 9|en|
        Bournemouth|BH1 BH2 BH6 BH8 BH11|1202:6:2 3 4 5 7 8 9|en|
        Canterbury|CT1 CT2|1227:6:2 3 4 5 7 8 9|en|
        Chester|CH1 CH2 CH3 CH4|1244:6:2 3 4 5 7 8 9|en|
        Winchester|SO22 SO23|1962:6:2 3 4 5 7 8 9|en|
        Guildford|GU1 GU2 GU4|1483:6:2 3 4 5 7 8 9|en|
        St Albans|AL1 AL3 AL4|1727:6:2 3 4 5 7 8 9|en|St. Albans
        Harrogate|HG1 HG2 HG3|1423:6:2 3 4 5 7 8 9|en|
        Cheltenham|GL50 GL51 GL52 GL53|1242:6:2 3 4 5 7 8 9|en|
        Inverness|IV1 IV2 IV3|1463:6:2 3 4 5 7 8 9|en|
        Dundee|DD1 DD2 DD3 DD4 DD5|1382:6:2 3 4 5 7 8 9|en|
    """,
    "US": """
        New York|10001-10282|212 646 917|NY|New York City,NYC
        Brooklyn|11201-11256|718 347|NY|
        Los Angeles|90001-90089|213 323 310|CA|LA
        Chicago|60601-60661|312 773|IL|
        Houston|77001-77099|713 832 281|TX|
        Phoenix|85001-85054|602 480|AZ|
        Philadelphia|19102-19154|215 267|PA|
        San Antonio|78201-78266|210|TX|
        San Diego|92101-92199|619 858|CA|
        Dallas|75201-75287|214 469 972|TX|
        Austin|78701-78759|512 737|TX|
        San Jose|95110-95139|408|CA|
        San Francisco|94102-94134|415 628|CA|SF
        Seattle|98101-98199|206|WA|
        Denver|80202-80249|303 720|CO|
        Boston|02108-02137|617 857|MA|
        Washington|20001-20037|202|DC|Washington DC
        Nashville|37201-37221|615|TN|
        Portland|97201-97236|503 971|OR|
        Las Vegas|89101-89183|702|NV|
        Atlanta|30303-30363|404 678 470|GA|
        Miami|33101-33199|305 786|FL|
        Minneapolis|55401-55488|612|MN|
        Detroit|48201-48235|313|MI|
        Charlotte|28202-28280|704 980|NC|
        Columbus|43201-43232|614|OH|
        Indianapolis|46201-46260|317|IN|
        Baltimore|21201-21239|410 443|MD|
        Milwaukee|53202-53233|414|WI|
        Kansas City|64101-64157|816|MO|
        Salt Lake City|84101-84121|801 385|UT|
        Pittsburgh|15201-15244|412|PA|
        Cincinnati|45202-45255|513|OH|
        Orlando|32801-32839|407 321|FL|
        Tampa|33602-33647|813|FL|
        St. Louis|63101-63147|314|MO|Saint Louis
        New Orleans|70112-70131|504|LA|
        Raleigh|27601-27617|919 984|NC|
        Sacramento|95811-95838|916|CA|
        Cleveland|44101-44135|216|OH|
        Madison|53703-53719|608|WI|
        Ann Arbor|48103-48109|734|MI|
        Boulder|80301-80310|303 720|CO|
        Princeton|08540-08544|609|NJ|
        Jersey City|07302-07311|201 551|NJ|
        Hoboken|07030|201 551|NJ|
        Stamford|06901-06907|203 475|CT|
    """,
}
