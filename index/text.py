"""Text helpers shared by search, routing and the staff pages: normalise, stem, tokenise.

Three stemmers of different strength live here, each under the name of what it is for, because each
is baked into something: `stem` into the BM25 vocabulary of every published build (changing it needs
a rebuild and moves the search figures of `sme-advisor eval`), `keyword_stem` into the routing
weights tuned on tests/eval/routing.yaml, and `plural_stem` into how the staff page groups
unanswered questions. Pure standard library: the gateway imports this without loading any model.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a lower-cased word; hyphenated names stay one word
STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from have how i if in into is it its me my no not of on "
    "or our should so than that the their them then there these they this to was we what when where which who "
    "why will with would you your".split()
)


# Function words of French, Spanish and Portuguese, accents folded: left out of the multilingual
# lexical index (`index.vectors.Lexical` with fold=True), whose matches should be content words.
FOLDED_STOPWORDS = STOPWORDS | frozenset(
    "le la les l un une des du de d au aux et ou mais donc ni car ce cet cette ces c est sont je j tu il elle "
    "nous vous ils elles on me te se mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs qui que "
    "qu quoi dont pour par sur sous dans avec sans chez pas ne plus tres comment quel quelle quels quelles "
    "y en faut fait faire avoir etre ai as a suis es veux peut "
    "el los las lo del al y o pero si no es son soy eres esta estan estoy mi mis tu tus su sus nuestro "
    "nuestra que cual como cuando donde por para con sin sobre entre muy mas hay tengo tiene quiero puedo "
    "ser hacer un una unos unas este esta ese esa "
    "o os as um uma uns umas do da dos das no na nos nas ao aos e ou mas nao sim eu ele ela voce meu minha "
    "seu sua nosso nossa que qual como quando onde por para com sem sobre muito mais ha tenho tem quero "
    "posso ser fazer este esta esse essa isso".split()
)


def normalise(text: str) -> str:
    """Lower case, accents folded, punctuation removed, spaces collapsed ("Café, SÃO!" -> "cafe
    sao")."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", folded))


def stem(word: str) -> str:
    """The search index's stemmer (BM25 terms): enough to match plurals and common verb forms."""
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + repl
    return word


def tokenize(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """The search index's terms: lower-cased stems without stopwords; hyphenated names also give
    their parts."""
    tokens = []
    for word in WORD.findall(text.lower()):
        parts = [word] + (word.split("-") if "-" in word else [])
        tokens += [stem(p) for p in parts if p not in stopwords and len(p) > 1]
    return tokens


def keyword_stem(word: str) -> str:
    """The router's stemmer for keyword matching: plurals ("fines", "taxes", "penalties"), -ing/-ed,
    final e."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    # "price", "pricing" -> "pric"
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def plural_stem(word: str) -> str:
    """The lightest stemmer: a plural 's' dropped ("loans" -> "loan", not "business")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
