"""Countries and the nationalities that name them: one table for every rule that reads where a thing is from.

A comparison reads "a Moldovan pianist" as from Moldova ("Are A and B from the same country?"), and the tagger's
entities are put right with it (`rag.models.entities.corrected`: the small model tags an unfamiliar nationality such
as "Moldovan" a PERSON). Names are folded (`rag.text.fold`: lower case, no accents).

>>> COUNTRIES_OF["moldovan"], "new zealand" in COUNTRY_NAMES, "scottish" in DEMONYMS
(('moldova',), True, True)
"""

from __future__ import annotations

COUNTRIES = frozenset("""afghanistan albania algeria argentina armenia australia austria azerbaijan bangladesh
belarus belgium bolivia bosnia brazil bulgaria cambodia cameroon canada chile china colombia croatia cuba cyprus
czechia denmark ecuador egypt england estonia ethiopia finland france georgia germany ghana greece guatemala haiti
hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya korea kosovo
latvia lebanon libya lithuania luxembourg malaysia mali malta mexico moldova monaco mongolia montenegro morocco
nepal netherlands nigeria norway pakistan panama paraguay peru philippines poland portugal romania russia
scotland senegal serbia singapore slovakia slovenia somalia spain sudan sweden switzerland syria taiwan tanzania
thailand tunisia turkey uganda ukraine uruguay venezuela vietnam wales yemen zambia zimbabwe""".split())
"""Countries a place's answer may name instead of the one asked ("in Canada": "Minnesota, United States"), so that
"No" is said only of a different country, never of a region ("Ontario" is in Canada). Two-word countries are in
`COUNTRY_NAMES`."""

COUNTRY_NAMES = frozenset({"united states", "united kingdom", "new zealand", "south africa", "south korea",
                           "north korea", "saudi arabia", "sri lanka", "costa rica", "czech republic"})

COUNTRIES_OF = {
    "american": ("united states",), "argentine": ("argentina",), "australian": ("australia",),
    "austrian": ("austria",), "belgian": ("belgium",), "brazilian": ("brazil",), "british": ("united kingdom",),
    "bulgarian": ("bulgaria",), "canadian": ("canada",), "chilean": ("chile",), "chinese": ("china",),
    "colombian": ("colombia",), "croatian": ("croatia",), "cuban": ("cuba",), "czech": ("czech republic", "czechia"),
    "danish": ("denmark",), "dutch": ("netherlands",), "egyptian": ("egypt",),
    "english": ("england", "united kingdom"), "estonian": ("estonia",), "filipino": ("philippines",),
    "finnish": ("finland",), "french": ("france",), "german": ("germany",), "greek": ("greece",),
    "hungarian": ("hungary",), "icelandic": ("iceland",), "indian": ("india",), "indonesian": ("indonesia",),
    "iranian": ("iran",), "iraqi": ("iraq",), "irish": ("ireland",), "israeli": ("israel",), "italian": ("italy",),
    "jamaican": ("jamaica",), "japanese": ("japan",), "korean": ("korea", "south korea"), "latvian": ("latvia",),
    "lithuanian": ("lithuania",), "mexican": ("mexico",), "moroccan": ("morocco",), "nigerian": ("nigeria",),
    "norwegian": ("norway",), "pakistani": ("pakistan",), "peruvian": ("peru",), "polish": ("poland",),
    "portuguese": ("portugal",), "romanian": ("romania",), "russian": ("russia",),
    "scottish": ("scotland", "united kingdom"), "serbian": ("serbia",), "slovak": ("slovakia",),
    "slovenian": ("slovenia",), "spanish": ("spain",), "swedish": ("sweden",), "swiss": ("switzerland",),
    "syrian": ("syria",), "thai": ("thailand",), "turkish": ("turkey",), "ukrainian": ("ukraine",),
    "venezuelan": ("venezuela",), "vietnamese": ("vietnam",), "welsh": ("wales", "united kingdom"),
    "afghan": ("afghanistan",), "albanian": ("albania",), "algerian": ("algeria",), "armenian": ("armenia",),
    "azerbaijani": ("azerbaijan",), "bangladeshi": ("bangladesh",), "belarusian": ("belarus",),
    "bolivian": ("bolivia",), "bosnian": ("bosnia",), "cambodian": ("cambodia",), "cameroonian": ("cameroon",),
    "cypriot": ("cyprus",), "ecuadorian": ("ecuador",), "ethiopian": ("ethiopia",), "georgian": ("georgia",),
    "ghanaian": ("ghana",), "guatemalan": ("guatemala",), "haitian": ("haiti",), "jordanian": ("jordan",),
    "kazakh": ("kazakhstan",), "kenyan": ("kenya",), "kosovar": ("kosovo",), "lebanese": ("lebanon",),
    "libyan": ("libya",), "luxembourgish": ("luxembourg",), "malaysian": ("malaysia",), "malian": ("mali",),
    "maltese": ("malta",), "moldovan": ("moldova",), "monegasque": ("monaco",), "mongolian": ("mongolia",),
    "montenegrin": ("montenegro",), "nepali": ("nepal",), "nepalese": ("nepal",), "panamanian": ("panama",),
    "paraguayan": ("paraguay",), "senegalese": ("senegal",), "singaporean": ("singapore",),
    "somali": ("somalia",), "sudanese": ("sudan",), "taiwanese": ("taiwan",), "tanzanian": ("tanzania",),
    "tunisian": ("tunisia",), "ugandan": ("uganda",), "uruguayan": ("uruguay",), "yemeni": ("yemen",),
    "zambian": ("zambia",), "zimbabwean": ("zimbabwe",), "new zealander": ("new zealand",),
    "south african": ("south africa",), "saudi": ("saudi arabia",), "sri lankan": ("sri lanka",),
    "costa rican": ("costa rica",), "north korean": ("north korea",)}
"""Nationalities and the countries each says (folded): "Tamsin Water is in the Scottish Borders" says it is in
Scotland, and "American" and "United States" are one answer to "the same nationality?". Every country of
`COUNTRIES` and `COUNTRY_NAMES` has one (a test holds it so): a missing one leaves "a Moldovan pianist" with no
country."""

DEMONYMS = frozenset(COUNTRIES_OF)
"""Nationalities: "No" to "Are A and B both American?" only when an answer names another of these."""
