"""An English reading of a French, Spanish or Portuguese message, for the turn reader and the finder.

The conversation code reads English: what a turn asks for (a question, the programme finder, a
trainer search, yes, stop...), the kind of fact a question wants (a cost, a duration) and the
finder's cues (stage, need, group). This table glosses the phrases those readers look for, word for
word ("combien ça coûte ?" -> "how much does it cost ?", "je cherche un formateur à Dakar" -> "i
look for a trainer in Dakar"); other words stay as they are. It is not a translation: the search
reads the user's own words (it is multilingual), and the answer comes from knowledge/.

Matching is on lower-case text without accents, whole words, longest phrase first; place names keep
their accents and capitals (the gazetteer reads "Bogotá" and "Bogota" alike).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Prepositions before a capitalised name are "in": "à Dakar", "en Bogotá", "em São Paulo", "no Rio".
_PLACE_PREPOSITION = {
    "fr": r"à|a|au|aux|en|dans|sur",
    "es": r"en|de",
    "pt": r"em|no|na|de",
}
_NAME_AFTER = r"(?=[A-ZÀ-Ý][a-zà-ÿ])"  # "Dakar", "São Paulo"; not an acronym ("de IMESUN")

# phrase (accent-free, lower case, regex allowed) -> English
PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        r"bonjour|bonsoir|salut|coucou|allo": "hello",
        r"merci(?: beaucoup| bien)?": "thanks",
        r"au revoir|a bientot|bonne journee|bonne soiree": "goodbye",
        r"d'accord|ok d'accord|tres bien|c'est bon": "ok",
        r"oui": "yes",
        r"non (?:enregistree?s?|declaree?s?|formelle?s?)": "not registered",
        r"non|pas du tout": "no",
        r"on recommence|recommencer|recommence|reprendre a zero|tout reprendre": "start over",
        r"arrete[rz]?|annule[rz]?": "stop",
        r"passer|sauter": "skip",
        r"dis(?:[- ]moi|[- ]m'en) plus|dites(?:[- ]moi|[- ]m'en) plus|en savoir plus|plus de details|racontez?[- ]moi plus": "tell me more",
        r"je n'ai pas compris|je ne comprends pas|j'ai pas compris|pas compris": "i don't understand",
        r"combien (?:ca|cela|ça) (?:coute|coûte)|ca coute combien|cela coute combien|c'est combien(?! de)|quel est le prix|quels sont les frais|combien faut[- ]il payer|combien je dois payer": "how much does it cost",
        r"c'est gratuit|est[- ]ce gratuit|est[- ]ce que c'est gratuit|gratuite?": "is it free",
        r"combien de temps(?: dure(?:[- ]t[- ]elle| la formation)?| ca dure| cela dure)?|ca dure combien(?: de temps)?|quelle est la duree|dure combien": "how long does it take",
        r"combien de jours": "how many days",
        r"combien de (?:semaines)": "how many weeks",
        r"combien de": "how many",
        r"combien": "how much",
        r"c'est quoi|qu'est[- ]ce que c'est(?: que)?|qu'est[- ]ce que|que veut dire|que signifie|c quoi": "what is",
        r"comment": "how",
        r"pourquoi": "why",
        r"quand": "when",
        r"depuis quand": "since when",
        r"ou (?:est|sont|se trouve|trouver|puis[- ]je)|dans quels? pays": "where",
        r"qui peut (?:participer|s'inscrire|rejoindre|suivre)": "who can join",
        r"qui finance|qui paie|qui paye": "who funds",
        r"est[- ]ce que je peux|je peux|puis[- ]je": "can i",
        r"est[- ]ce qu'on peut|peut[- ]on|on peut|pouvons[- ]nous": "can we",
        r"est[- ]ce qu'elle peut|elle peut|peut[- ]elle": "can she",
        r"m'inscrire|s'inscrire|inscription|participer|rejoindre": "join",
        r"un formateur pres de chez moi|une formatrice pres de chez moi": "a trainer near me",
        r"pres de chez moi|pres de moi|a cote de chez moi": "near me",
        r"pres de|a cote de|autour de": "near",
        r"formateurs?|formatrices?|formateurs? certifies?|coach": "trainer",
        r"trouver|chercher|je cherche": "find",
        r"plan d'affaires?|plan d'entreprise|business plan": "business plan",
        r"mon entreprise|ma societe|mon commerce|mon affaire|mon business": "my business",
        r"ma boutique|mon magasin": "my shop",
        r"entreprises?|societes?|commerces?|affaires|business": "business",
        r"boutiques?|magasins?": "shop",
        r"j'ai une idee": "i have an idea",
        r"je n'ai pas (?:encore )?(?:d'idee|idee)|pas d'idee": "no business idea yet",
        r"(?:je n'ai )?pas encore (?:commence|demarre|lance|ouvert)": "not started yet",
        r"je veux (?:creer|lancer|demarrer|ouvrir|monter)|je voudrais (?:creer|lancer|demarrer|ouvrir|monter)": "i want to start",
        r"creer|lancer|demarrer|ouvrir|monter": "start",
        r"je vends": "i sell",
        r"j'ai (?:un|une) (?:entreprise|boutique|magasin|commerce|atelier|restaurant)": "i run a business",
        r"je suis (?:une )?femme": "i am a woman",
        r"femmes?": "women",
        r"refugiee?s?": "refugee",
        r"informelle?s?": "informal",
        r"enregistrer|immatriculer|formaliser|declarer": "register",
        r"enregistrement|immatriculation|formalisation": "registration",
        r"comptabilite|tenue des comptes|tenir (?:mes|les) comptes|cahier de comptes|registres": "record keeping",
        r"faire grandir|agrandir|developper|croissance|grandir": "grow",
        r"clients": "customers",
        r"prix": "price",
        r"argent|financement": "money",
        r"credit|pret": "loan",
        r"quel programme|quelle formation|quel cours|quel programme me convient|quelle formation me convient": "which programme fits me",
        r"pour moi": "for me",
        r"je veux|je voudrais|j'aimerais|je souhaite": "i want",
        r"j'ai besoin d'|j'ai besoin de|il me faut": "i need",
        r"aidez[- ]moi|aide[- ]moi": "help me",
        r"aide": "help",
        r"formations?": "training",
        r"cours": "course",
        r"en ligne": "online",
        r"pays": "country",
        r"couture": "tailoring",
        r"securite sociale|protection sociale": "social security",
        r"impots?|taxes?": "tax",
        r"est[- ]ce que|est[- ]ce qu'": "", r"peuvent|peut|pouvez": "can", r"hommes": "men", r"homme": "man",
        r"soeur|sœur": "sister", r"mari": "husband", r"frere": "brother", r"fille": "daughter",
        r"(?:il|elle) parle|parle[- ]t[- ](?:il|elle)": "he speaks", r"ils parlent|parlent[- ]ils": "they speak",
        r"parlez|parles?|parlent": "speak", r"il": "he", r"elle": "she", r"ils|elles": "they",
        r"francais": "french", r"anglais": "english", r"espagnol": "spanish", r"portugais": "portuguese",
        r"arabe": "arabic", r"donne[- ]moi|donnez[- ]moi|envoie[- ]moi|envoyez[- ]moi": "give me",
        r"son numero|leur numero|son telephone|son contact": "his number", r"numero|telephone": "number",
        r"s'il (?:vous|te) plait|svp|stp": "please", r"venir": "come", r"aussi": "too",
        r"je ne sais pas (?:quoi|quelle entreprise)|je sais pas (?:quoi|quelle entreprise)": "no business idea yet",
        r"usine|fabrique": "factory", r"nous voulons|on veut|nous aimerions": "we want", r"exporter": "export",
        r"travailleurs|employes|employees|salaries": "workers", r"marche": "market",
        r"(?:est[- ]ce que )?(?:ca|cela) (?:marche|fonctionne)(?: vraiment)?": "does it work", r"resultats?": "results",
        r"apprendre": "learn", r"gerer": "manage",
        r"devenir (?:un |une )?(?:formateur|formatrice)": "become a trainer", r"comment faire": "how",
        r"quel temps|la meteo|meteo": "what is the weather", r"demain": "tomorrow", r"pleuvoir|pleut|pluie": "rain",
        r"football|foot|match": "football", r"c'est": "it is", r"ca|cela": "it", r"j'ai": "i have", r"nous avons|on a": "we have", r"est": "is", r"il faut|faut[- ]il": "need",
        r"une?": "a", r"les?|la|l'": "the", r"des": "some", r"de|du|d'": "of", r"et": "and", r"pour": "for",
        r"avec": "with", r"mais": "but", r"mon|ma|mes": "my", r"votre|vos": "your",
    },
    "es": {
        r"hola|buenos dias|buenas tardes|buenas noches|buenas": "hello",
        r"(?:muchas )?gracias": "thanks",
        r"adios|chao|hasta luego|hasta pronto": "goodbye",
        r"de acuerdo|vale|esta bien|perfecto": "ok",
        r"no (?:registrad[oa]s?|formal(?:es)?)": "not registered",
        r"no": "no",
        r"empezar de nuevo|volver a empezar|reiniciar|empecemos de nuevo": "start over",
        r"parar|para ya|detener|cancelar": "stop",
        r"saltar": "skip",
        r"cuenteme mas|cuentame mas|digame mas|dime mas|mas informacion|quiero saber mas|saber mas": "tell me more",
        r"no entiendo|no entendi|no le entiendo": "i don't understand",
        r"cuanto cuesta|cuanto vale|cual es el precio|cuanto hay que pagar|cuanto cobran|cuanto se paga|cuanto tengo que pagar": "how much does it cost",
        r"es gratis|es gratuito|gratis|gratuit[oa]": "is it free",
        r"cuanto (?:tiempo )?dura|cuanto tiempo|cual es la duracion": "how long does it take",
        r"cuantos dias": "how many days",
        r"cuant[oa]s": "how many",
        r"cuanto": "how much",
        r"que es|que significa|q es": "what is",
        r"como": "how",
        r"por que|porque": "why",
        r"cuando": "when",
        r"donde|en que paises": "where",
        r"quien puede (?:participar|inscribirse|unirse|entrar)": "who can join",
        r"quien (?:financia|paga)": "who funds",
        r"puedo": "can i",
        r"podemos|se puede": "can we",
        r"puede ella|ella puede": "can she",
        r"inscribirme|inscribirse|participar|unirme|inscripcion": "join",
        r"cerca de mi|cerca de aqui|cerca de donde vivo": "near me",
        r"cerca de|alrededor de": "near",
        r"capacitador(?:es|as?)?|formador(?:es|as?)?|instructor(?:es|as?)?|entrenador(?:es|as?)?|facilitador(?:es|as?)?": "trainer",
        r"buscar|encontrar|busco": "find",
        r"plan de negocios?|plan de empresa": "business plan",
        r"mi negocio|mi empresa|mi emprendimiento": "my business",
        r"mi tienda": "my shop",
        r"negocios?|empresas?|emprendimientos?": "business",
        r"tiendas?": "shop",
        r"tengo una idea": "i have an idea",
        r"no tengo (?:una )?idea": "no business idea yet",
        r"(?:todavia|aun) no (?:he )?(?:empezado|comenzado|iniciado|abierto)": "not started yet",
        r"quiero (?:abrir|empezar|iniciar|crear|montar|poner)": "i want to start",
        r"abrir|empezar|iniciar|crear|montar": "start",
        r"vendo": "i sell",
        r"tengo (?:un|una) (?:negocio|tienda|empresa|taller|restaurante)": "i run a business",
        r"soy (?:una )?mujer": "i am a woman",
        r"mujer(?:es)?": "women",
        r"refugiad[oa]s?": "refugee",
        r"informal(?:es)?": "informal",
        r"registrar|formalizar|legalizar|inscribir mi negocio": "register",
        r"registro|formalizacion": "registration",
        r"contabilidad|llevar (?:las|mis) cuentas|registros": "record keeping",
        r"hacer crecer|crecer|ampliar|expandir|crecimiento": "grow",
        r"clientes": "customers",
        r"precios?": "price",
        r"dinero|financiamiento|financiacion|plata": "money",
        r"credito|prestamo": "loan",
        r"que programa|cual programa|que curso|que capacitacion|cual curso": "which programme",
        r"para mi": "for me",
        r"me conviene": "fits me",
        r"quiero|quisiera|me gustaria": "i want",
        r"necesito": "i need",
        r"ayudeme|ayudame": "help me",
        r"ayuda": "help",
        r"capacitacion|formacion|cursos?|talleres?": "training",
        r"en linea": "online",
        r"pais(?:es)?": "country",
        r"costura": "tailoring",
        r"cafe": "coffee",
        r"agricultor(?:es|as?)?|campesin[oa]s?": "farmer",
        r"seguridad social": "social security",
        r"impuestos?": "tax",
        r"pueden|puede": "can", r"hombres": "men", r"hombre": "man", r"hermana": "sister", r"esposo|marido": "husband",
        r"hermano": "brother", r"hija": "daughter",
        r"(?:el|ella) habla|habla (?:el|ella)": "he speaks", r"hablan": "they speak", r"habla|hablas": "speak",
        r"el": "the", r"ella": "she", r"ellos|ellas": "they",
        r"frances": "french", r"ingles": "english", r"espanol|castellano": "spanish", r"portugues": "portuguese",
        r"arabe": "arabic", r"dame|deme|pasame|paseme|mandame": "give me", r"su numero|su telefono|su contacto": "his number",
        r"numero|telefono|celular": "number", r"por favor|porfa": "please", r"venir": "come", r"tambien": "too",
        r"no s[e] (?:de )?que(?: negocio)?": "no business idea yet",
        r"fabrica": "factory", r"queremos": "we want", r"exportar": "export",
        r"trabajador(?:es|as)|emplead[oa]s": "workers", r"mercado": "market",
        r"(?:eso |esto )?(?:funciona|sirve)(?: de verdad| realmente)?": "does it work", r"resultados?": "results",
        r"aprender": "learn", r"gestionar|administrar|manejar": "manage",
        r"(?:ser|convertirme en|hacerme) (?:un |una )?(?:capacitador|capacitadora|formador|formadora|instructor)": "become a trainer",
        r"que tiempo (?:hace|hara|va a hacer)|el clima": "what is the weather", r"llover|llueve|lluvia": "rain",
        r"manana": "tomorrow", r"futbol|partido": "football", r"eso|esto": "it", r"tengo": "i have", r"tenemos": "we have", r"es": "is", r"en": "in", r"necesita": "needs", r"si": "if",
        r"una?": "a", r"la|los|las": "the", r"de|del": "of", r"y|e": "and", r"para": "for", r"con": "with",
        r"pero": "but", r"mis?": "my", r"su|sus": "your",
    },
    "pt": {
        r"ola|oi|bom dia|boa tarde|boa noite": "hello",
        r"(?:muito )?obrigad[oa]|valeu": "thanks",
        r"tchau|ate logo|ate mais|adeus": "goodbye",
        r"esta bem|ta bom|tudo bem|beleza|certo": "ok",
        r"sim": "yes",
        r"nao (?:registrad[oa]s?|registad[oa]s?|formal(?:is)?)": "not registered",
        r"nao": "no",
        r"recomecar|comecar de novo|reiniciar": "start over",
        r"parar|cancelar": "stop",
        r"saltar|pular": "skip",
        r"me conte mais|conte[- ]me mais|fale mais|mais informacoes|quero saber mais|saber mais": "tell me more",
        r"nao entendi|nao entendo|nao percebi": "i don't understand",
        r"quanto custa|qual (?:e )?o preco|quanto (?:e|eh)|quanto cobram|quanto tenho que pagar|quanto se paga": "how much does it cost",
        r"e gratis|e gratuito|gratis|gratuit[oa]": "is it free",
        r"quanto tempo(?: dura)?|dura quanto tempo|qual (?:e )?a duracao": "how long does it take",
        r"quantos dias": "how many days",
        r"quant[oa]s": "how many",
        r"quanto": "how much",
        r"o que e|o que significa|oq e": "what is",
        r"como": "how",
        r"por que|porque": "why",
        r"quando": "when",
        r"onde|em que paises|em quais paises": "where",
        r"quem pode (?:participar|se inscrever|entrar)": "who can join",
        r"quem (?:financia|paga)": "who funds",
        r"posso": "can i",
        r"podemos|da para": "can we",
        r"ela pode": "can she",
        r"me inscrever|inscrever|participar|inscricao": "join",
        r"perto de mim|perto daqui|perto de onde moro": "near me",
        r"perto de|ao redor de": "near",
        r"formador(?:es|as?)?|instrutor(?:es|as?)?|capacitador(?:es|as?)?|facilitador(?:es|as?)?|treinador(?:es|as?)?": "trainer",
        r"encontrar|procurar|achar|procuro": "find",
        r"plano de negocios?|plano de empresa": "business plan",
        r"meu negocio|minha empresa|meu empreendimento": "my business",
        r"minha loja": "my shop",
        r"negocios?|empresas?|empreendimentos?": "business",
        r"lojas?": "shop",
        r"tenho uma ideia": "i have an idea",
        r"nao tenho (?:uma )?ideia": "no business idea yet",
        r"ainda nao (?:comecei|abri|iniciei)": "not started yet",
        r"quero (?:abrir|comecar|iniciar|criar|montar)": "i want to start",
        r"abrir|comecar|iniciar|criar|montar": "start",
        r"vendo": "i sell",
        r"tenho (?:um|uma) (?:negocio|loja|empresa|oficina|restaurante)": "i run a business",
        r"sou (?:uma )?mulher": "i am a woman",
        r"mulher(?:es)?": "women",
        r"refugiad[oa]s?": "refugee",
        r"informa(?:l|is)": "informal",
        r"registrar|registar|formalizar|legalizar": "register",
        r"registro|registo|formalizacao": "registration",
        r"contabilidade|controle financeiro|controlo financeiro|registros|registos": "record keeping",
        r"crescer|expandir|ampliar|crescimento": "grow",
        r"clientes": "customers",
        r"precos?": "price",
        r"dinheiro|financiamento": "money",
        r"credito|emprestimo": "loan",
        r"qual programa|que programa|qual curso|qual treinamento|que curso": "which programme",
        r"para mim": "for me",
        r"quero|queria|gostaria": "i want",
        r"preciso(?: de)?": "i need",
        r"me ajude|ajude[- ]me": "help me",
        r"ajuda": "help",
        r"treinamento|capacitacao|formacao|cursos?|oficinas?": "training",
        r"online|on-line": "online",
        r"pais(?:es)?": "country",
        r"costura": "tailoring",
        r"comida": "food",
        r"seguranca social|previdencia": "social security",
        r"impostos?": "tax",
        r"podem|pode": "can", r"homens": "men", r"homem": "man", r"irma": "sister", r"marido": "husband",
        r"irmao": "brother", r"filha": "daughter",
        r"(?:ele|ela) fala|fala (?:ele|ela)": "he speaks", r"falam": "they speak", r"fala|falas": "speak",
        r"ele": "he", r"ela": "she", r"eles|elas": "they",
        r"frances": "french", r"ingles": "english", r"espanhol": "spanish", r"portugues": "portuguese",
        r"arabe": "arabic", r"me da|me de|me passa|me manda": "give me", r"o numero dele|o numero dela|o contato dele|o contacto dele": "his number",
        r"numero|telefone|celular": "number", r"por favor": "please", r"vir": "come", r"tambem": "too",
        r"nao sei (?:o )?que(?: negocio)?": "no business idea yet", r"professor(?:es|a)?": "teacher",
        r"fabrica": "factory", r"queremos": "we want", r"exportar": "export",
        r"trabalhador(?:es|as)|funcionari[oa]s|emprega[dt][oa]s": "workers", r"mercado": "market",
        r"(?:isso |isto )?(?:funciona|da resultado)(?: mesmo| de verdade| realmente)?": "does it work",
        r"resultados?": "results", r"aprender": "learn", r"gerir|administrar": "manage", r"nao tem": "there is no",
        r"(?:ser|tornar[- ]me|virar) (?:um |uma )?(?:formador|formadora|instrutor)": "become a trainer",
        r"como esta o tempo|o tempo|previsao do tempo": "what is the weather", r"chover|chove|chuva": "rain",
        r"amanha": "tomorrow", r"futebol|jogo": "football", r"isso|isto": "it", r"tenho": "i have", r"temos": "we have", r"precisa(?: de)?": "need",
        r"uma?": "a", r"os|as": "the", r"de|do|da|dos|das": "of", r"e": "and", r"para": "for", r"com": "with",
        r"mas": "but", r"meus?|minhas?": "my", r"seus?|suas?": "your",
    },
}


def fold(text: str) -> str:
    """Lower case without accents ("Ça coûte" -> "ca coute"); apostrophes made plain."""
    text = text.replace("’", "'").replace("`", "'")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").lower()


@lru_cache(maxsize=4)
def _table(lang: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    phrases = PHRASES.get(lang)
    if not phrases:
        return None
    patterns = sorted(phrases, key=len, reverse=True)
    alternation = "|".join(f"(?P<p{i}>{p})" for i, p in enumerate(patterns))
    return re.compile(rf"(?<![\w'])(?:{alternation})(?![\w])"), {f"p{i}": phrases[p] for i, p in enumerate(patterns)}


def to_english(text: str, lang: str | None) -> str:
    """The English reading of a message in `lang` (unchanged for English or an unknown language)."""
    table = _table(lang or "")
    if table is None or not text:
        return text
    pattern, english = table
    if lang == "es" and fold(text).strip(" .!?¡¿") in ("si", "si por favor", "si gracias"):
        return "yes"  # "sí" (elsewhere "si" is "if")
    text = text.replace("¿", " ").replace("¡", " ")  # "¿qué es IMESUN?" reads "what is IMESUN?"
    prepositions = _PLACE_PREPOSITION.get(lang or "")
    if prepositions:  # "à Dakar" -> "in Dakar", before folding loses the capitals
        text = re.sub(rf"(?<!\w)(?:{prepositions})\s+{_NAME_AFTER}", "in ", text)
    # keep capitalised words (places, names) as typed; fold the rest for matching
    out: list[str] = []
    for token in re.split(r"(\s+)", text):
        word = fold(token).strip(".,;:!?¿¡\"«»()")
        kept = len(word) > 1 and (token.isupper() or token[:1].isupper() and word not in _STARTERS)
        out.append(token if kept else fold(token))  # "GERME", "Dakar" as typed
    glossed = pattern.sub(lambda m: english[m.lastgroup or ""], "".join(out))
    # "formateur a dakar" typed in lower case: the place follows the request's words
    glossed = _LOWER_CASE_PLACE.sub(r"\1 in ", glossed)
    return re.sub(r"\s+", " ", glossed).strip()


_LOWER_CASE_PLACE = re.compile(r"\b(trainer) (?:a|au|aux|en|dans|em|no|na) (?=[a-z])")


# capitalised only because they start a sentence: folded and glossed like other words
_STARTERS = {w for phrases in PHRASES.values() for p in phrases for w in re.findall(r"[a-z']+", p)} | {
    "je", "j'ai", "tengo", "tenho", "quiero", "quero", "mi", "mon", "ma", "meu", "minha", "est-ce", "c'est", "qu'est-ce",
    "soy", "sou", "vendo", "busco", "procuro", "yo", "eu", "nous", "nosotros", "nos", "il", "elle", "ella", "ela",
}
