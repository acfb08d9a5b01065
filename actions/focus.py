"""Which passage, and which part of it, answers the question: plain functions, no Rasa imports.

The search ranks passages by meaning; a short question ("how long is it?", "since when?", "who funds
it?") asks for one kind of fact that a passage holds in one sentence. `expected()` reads the kind of
fact a question asks for (a duration, a cost, a year, a funder, countries, who may join, how to take
part, ...); `choose()` picks, among the best passages of the programme the answer is about, the one
that holds that kind of fact, and `window()` the sentences around it, whole, in their order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.search import SearchResult


@dataclass(frozen=True)
class FactKind:
    name: str
    question: re.Pattern[str]  # the question asks for this kind of fact
    sentence: re.Pattern[str]  # a sentence that states one
    section: re.Pattern[str] | None = None  # a section heading where such facts live


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# "is it in French?" asks for a language, "is it in Nigeria?" for countries
LANGUAGE_NAMES = r"(?:french|spanish|portuguese|arabic|english|swahili|chinese|russian|local languages?)"

FACT_KINDS = (
    FactKind("duration", _rx(r"\bhow (?:long|many (?:days?|weeks?|hours?|months?))\b|\bduration\b|\bhow much time\b|"
                             r"\b(?:days|weeks|hours) (?:does it|is it|it)\b|\b(?:takes?|is|lasts?) (?:longer|shorter|less time|more time)\b|"
                             r"\bwhich (?:one )?(?:is )?(?:longer|shorter|quicker)\b"),
             _rx(r"\b(?:\d+|one|two|three|four|five|six|seven|ten|a few)(?:[ -](?:to|or)[ -]\w+)?[ -]"
                 r"(?:days?|weeks?|months?|hours?)\b|\bhalf[ -]day\b"
                 # a French, Spanish or Portuguese passage: "5 jours", "cinco días", "duas semanas"
                 r"|\b\d+(?:[ -](?:à|a|ou|o)[ -]\d+)?[ -](?:jours?|semaines?|mois|heures?|d[ií]as|semanas|meses|horas)\b")),
    FactKind("cost", _rx(r"\b(?:cost|costs|price|fees?|pay|pays|paid|charge|free|expensive|cheap|how much (?:is|does|do|will))\b"),
             _rx(r"\b(?:fees?|free of charge|free|low[- ]cost|cheap|inexpensive|costs? little|(?:course|training|participation) costs?|costs? (?:of|for) (?:the |a )?"
                 r"(?:course|training|participants?)|pay(?:s|ing)? (?:for (?:the )?(?:course|training)|a fee|part)|"
                 r"subsidi[sz]\w*|costs? (?:are|is) (?:\w+ ){0,4}paid)\b"
                 r"|\b(?:frais|gratuite?s?|payante?s?|tarifs?|gratis|gratuit[oa]s?|tarifas?|gr[aá]tis|cuesta|custa|co[uû]te)\b"),
             _rx(r"\bfees?\b|\bprices? of (?:the )?training")),
    FactKind("year", _rx(r"\bsince when\b|\bwhen (?:did|was|were|has)\b|\bwhat year\b|\bhow old\b|\bstart(?:ed)? when\b|"
                         r"\bwhen\b.{0,25}\b(?:came out|come out|published|released|launched|introduced|created|written)\b|"
                         r"\bhistory\b|\bbegan\b|\blaunched\b"),
             _rx(r"\b(?:19[5-9]\d|20[0-3]\d)s?\b")),
    FactKind("funder", _rx(r"\bfund(?:s|ed|ing|er|ers)?\b|\bdonors?\b|\bsponsor\w*\b|\bwho pays\b|\bpaid for by\b|"
                           r"\bfinanced? by\b|\bwho (?:is |are )?(?:pays?|paying|paid|finances?|financing|supports?|supporting)\b|"
                           r"\bpays? for (?:it|this|that)\b|\bwho (?:gave|gives|give|puts?|provides?) (?:the )?money\b"),
             _rx(r"\b(?:fund(?:ed|ing|s|ers?)|donors?|support(?:ed)? (?:by|from)|SECO|Norad|Sida|NORAD|EU|European "
                 r"Union|government of|partners? such as)\b")),
    FactKind("countries", _rx(r"\b(?:which|what|how many) countr(?:y|ies)\b|\bwhere (?:does|is) (?:it|this|the \w+) "
                              r"(?:run|used|offered|available|active|work)|\bin which countr|\bcountries\b|"
                              r"\b(?:is|are) (?:it|this|that|they|there \w+) (?:also )?(?:available |offered |running |active |used )?in\b"
                              r"(?! " + LANGUAGE_NAMES + r"\b)|\b(?:available|offered|exists?|runs?|works?|operates?|active) in\b(?! "
                              + LANGUAGE_NAMES + r"\b)|\beverywhere\b|\bin (?:all|every) countr"),
             re.compile(r"\bnot (?:available )?everywhere\b|\b\d+ countries\b|\bcountries (?:such as|like|include|including|are|were|in)\b|"
                        r"\b(?:[A-Z][a-zà-ÿ]+(?: [A-Z][a-zà-ÿ]+)?, ){2,}(?:and )?[A-Z][a-zà-ÿ]+|"
                        r"\b[A-Z][a-zà-ÿ]+(?:,| and)(?: [Tt]he)? [A-Z][a-zà-ÿ]+(?:,| and)(?: [Tt]he)? [A-Z]"),
             _rx(r"key facts|figures|countries|where (?:it|they|we) (?:runs?|works?|operates?)")),
    FactKind("who", _rx(r"\bwho (?:can|may|could|should|is it for|are they for|is this for) ?(?:join|take|attend|apply|"
                        r"participate|do it|use)?\b|\bwho is (?:it|this) for\b|"
                        r"\b(?:does|do|will|would|can) (?:it|this|that|they|[A-Z][\w.-]+) (?:also )?(?:work|apply) for\b|\b(?:good|right|suitable|ok|okay|meant) for "
                        r"(?:me|us|my \w+|people like me)\b|\b(?:good|right|suitable|ok|okay|meant|only) for (?:an? |the )?(?:new |young |"
                        r"small |big |micro )?(?:start-?ups?|beginners?|new business\w*)\b|\bsuits? (?:me|us)\b|\beligib\w*\b|\b(?:can|may) (?:anyone|"
                        r"everyone|men|women|my \w+|refugees|youth|young people) (?:join|take|attend|apply|participate)\b|"
                        r"\bfor whom\b|\bfor (?:youth|young people|the young|students|refugees|him|her|my (?:son|daughter|wife|husband|"
                        r"brother|sister|cousin|friends?|mother|father|children|kids|staff|workers|employees|group|members))"
                        r"\W*(?:\?|$)|"
                        r"\b(?:i'?m|i am|he is|she is) (?:only )?1\d\b|\b(?:he|she|they|we|i) (?:can|could|may) "
                        r"(?:also )?(?:join|come|attend|take part|participate)\b|\b(?:can|could|may) (?:he|she|they|we|i) "
                        r"(?:also )?(?:join|come|attend|take part|participate)\b"),
             _rx(r"\b(?:for (?:people|women|men|owners|entrepreneurs|anyone|organisations)|open to|can join|"
                 r"may join|is for|are for|who want|who have|who run|(?:firms|businesses|enterprises|participants|"
                 r"people) are (?:chosen|selected)|suits"
                 r"|pour qui|ouverte? aux|s'adresse|para qui[eé]n|abiert[oa] a|dirigid[oa] a|para quem|abert[oa] a)\b"),
             _rx(r"who it is for|audience")),
    FactKind("men", _rx(r"\b(?:men|man|husband|male|boys?|my son|brother)\b"),
             _rx(r"\b(?:men|male|husbands?|both women and men|women and men|hommes|hombres|homens)\b"),
             _rx(r"who it is for|audience")),
    FactKind("women", _rx(r"\b(?:women|woman|female|ladies|girls?|mothers?|wife|wives|sister|daughter)\b"),
             _rx(r"\bwom[ae]n\b|\b(?:femmes?|mujer(?:es)?|mulher(?:es)?)\b"), _rx(r"who it is for|audience")),
    FactKind("finance", _rx(r"\bhow (?:can |do |to |could )?(?:i |we )?(?:get|find|raise|borrow) (?:some |the )?(?:money|"
                            r"a loan|loans|finance|funding|capital|credit)\b|\bwhere (?:can|do) (?:i|we) (?:get|borrow)\b|"
                            r"\b(?:need|want|looking for) (?:some |a )?(?:money|loan|capital|finance|credit|cash)\b"),
             _rx(r"\bsavings groups?\b|\bmicrofinance\b|\bsupplier credit\b|\bloans?\b"),
             _rx(r"ways to get money|finance|loans?|credit")),
    FactKind("online", _rx(r"\bonline\b|\binternet\b|\bvirtual\b|\bdistance\b|\be-?learning\b|\bremote\w*\b|"
                           r"\b(?:by|on|over|via|through|with) (?:the |my |a )?(?:mobile )?(?:phone|whatsapp)\b"),
             _rx(r"\bonline\b|\bvirtual\b|\bdigital\b|\be-?learning\b|\bdistance\b|\bremote\w*\b|\bapps?\b")),
    FactKind("join", _rx(r"\bhow (?:else )?(?:can|do|could|should) (?:i|we) (?:join|take part|take|attend|apply|sign up|enrol|enroll|"
                         r"register for|request|ask for|get|access|start|reach|find|contact)\b|\bwhere (?:can|do|could) "
                         r"(?:i|we) (?:take|join|do|attend|find|get|apply)\b|\brequest\b|\bapply\b|\bsign up\b|"
                         r"\btake part\b|\bcontact\b"),
             _rx(r"\b(?:ask|contact|apply|request|partner|country office|training provider|chamber|sign up|take part)\b"),
             _rx(r"how to take part|how to (?:join|apply|request|get)|where to get help|reach")),
    FactKind("where_to", _rx(r"\bwhere (?:do|can|should|could|must) (?:i|we) (?:do|go|register|apply|get|file|pay)\b|"
                             r"\bwhere to (?:go|register|apply|file|pay)\b|\bwhich office\b"),
             _rx(r"\b(?:offices?|one-stop|online|portal|council|municipal\w*|ministry|agenc(?:y|ies)|registry|website|"
                 r"chamber|authorit(?:y|ies))\b")),
    FactKind("language", _rx(r"\blanguages?\b|\btranslat\w*|\b(?:in|exists? in|available in|speak) " + LANGUAGE_NAMES + r"\b"),
             _rx(r"\b(?:French|Spanish|Portuguese|Arabic|Swahili|Chinese|Russian|languages?|translat\w*|GERME|IMESUN)\b")),
    FactKind("contact", _rx(r"\b(?:e-?mail|contact|address|phone number|website|web ?site|reach (?:you|them|the (?:ilo|team)))\b"),
             _rx(r"@|https?://|\bwww\.|\bcountry office\b|\bcontact\b"),
             _rx(r"contact|how to take part|reach")),
    FactKind("frequency", _rx(r"\bhow often\b|\bhow many times\b|\bevery (?:year|month|week)\b|\bwhen (?:should|must|do) (?:i|we) "
                              r"(?:check|update|review|revise|renew|redo)\b"),
             _rx(r"\b(?:every|each) (?:year|month|week|quarter|day|\d+ \w+)\b|\bonce a (?:year|month|week)\b|\bannual\w*|"
                 r"\bregularly\b|\bafter (?:any|every|each|a) (?:shock|change|crisis)\b")),
    FactKind("format", _rx(r"\bwhere (?:is|does|do|will|would|are) (?:it|this|that|they|the (?:course|training|classes|"
                           r"sessions)) (?:done|held|happen\w*|take place|run|given|taught)\b|\bwhere (?:do|does|will|would) "
                           r"(?:we|they|the (?:course|training|classes)) (?:meet|take place|happen|go)\b|\bin (?:a )?classroom\b"),
             _rx(r"\b(?:classroom|in-company|on[- ]site|(?:factory|workplace|firm|company) visits?|visits? (?:to|by|from)|"
                 r"at the workplace|online|self-paced|in person|face[- ]to[- ]face|venue)\b")),
    FactKind("content", _rx(r"\bwhat (?:do|does|will|did) (?:they|it|you|the (?:course|training|trainers?)|we|i) "
                            r"(?:teach|cover|learn|study|include|contain)\b|\bwhat is (?:in|inside) (?:it|the course)\b|"
                            r"\b(?:topics|syllabus|curriculum|contents?)\b|\bwhat (?:they|it|you|we) (?:teach|cover|learn|"
                            r"include)\w*\b|\b(?:what|which) modules\b|\bwhat (?:will|would|do|can) (?:i|we) learn\b|\bwhat (?:i|we) (?:will )?learn\b|"
                            r"\bwhat (?:goes|go|should go|must go|to put|to write) (?:in|into|inside)\b|\bwhat to (?:put|include)\W*$|"
                            # "a business plan. wat goes in it", "... i never wrote one. what to put"
                            r"\bwhat (?:should|must|do) (?:i|we) (?:put|include|write) in\b"),
             _rx(r"\b(?:covers?|teach(?:es)?|topics|modules?|learn(?:s)?|skills|sessions on|includes?)\b"),
             _rx(r"what participants get|modules|content|topics|what to put")),
    FactKind("next", _rx(r"\bwhat(?:'s| is)? next\b|\b(?:and )?after (?:that|this|it|the course|that one)\b|"
                         r"\bnext step\b|\bwhat (?:comes|happens) (?:next|after)\b"),
             _rx(r"\bnext step\b|\bafter (?:the|this|that) (?:course|training)\b|\b(?:usual|natural) next\b|"
                 r"\bthen (?:move|go) on\b|\bfollow-?up\b|\bsupport continues\b")),
    FactKind("partner", _rx(r"\bwho (?:is |are )?(?:running|runs|behind|manages?|managing|implements?|implementing|in charge of|"
                            r"works? with|partners? with)\b(?: (?:it|this|that|the \w+))?\W*(?:$|\?|,)|\bilo alone\b|"
                            r"\b(?:with|which) (?:whom|partners?|organi[sz]ations?) (?:do|does|is|are)\b"),
             _rx(r"\b(?:together with|(?:and|with) UNHCR|partnership|jointly|partners? (?:include|such as|are)|"
                 r"runs? (?:by|through)|(?:delivered|run|carried out|implemented) (?:by|through))\b")),
    FactKind("comparison", _rx(r"\b(?:difference|differs?|different from|compared?|comparison|vs\.?|versus)\b"),
             _rx(r"\b(?:unlike|whereas|compared (?:with|to)|differs? from|instead of|while [A-Z])"),
             _rx(r"\b(?:compared|differs?|difference|vs)\b")),
    FactKind("maker", _rx(r"\bwho (?:has |have |had )?(?:made|makes|created|creates|developed|develops|designed|wrote|written|"
                          r"published|publishes|produced|produces|prepared|built|came up with|invented)\b"),
             _rx(r"\b(?:made|created|developed|designed|written|published|produced|prepared|built|invented) (?:it |them )?"
                 r"(?:by|with|in \d{4})\b|\bpublished it\b|\bfrom the ITCILO\b")),  # not "a free download from the ILO"
    FactKind("teacher", _rx(r"\bwho (?:will |would |is going to |is |are )?(?:leads?|leading|teach(?:es|ing)?|runs?|running|"
                            r"facilitates?|guides?|trains?|training) (?:it|us|them|the (?:group|sessions?|class(?:es)?|"
                            r"course|training|members))\b|\bwho (?:is|are|will be) (?:the )?(?:teacher|trainer|facilitator)s?\b"),
             _rx(r"\b(?:facilitators?|no (?:teacher|expert|trainer)s?|teachers?|led by|no (?:\w+ )?leading|take turns|"
                 r"certified (?:\w+ )?trainers?|trainers? (?:teach|lead|run))\b")),
    FactKind("module", _rx(r"\b(?:only|just) (?:one|a|the|this)?\s?(?:[\w-]+ ){0,4}(?:parts?|modules?|topics?)\b|"
                           r"\b(?:single|one|separate) module\b|\b(?:part|module) (?:alone|only|separately)\b|"
                           r"\b(?:take|do|join|attend|choose|pick) (?:only|just) (?:one|1|a few|some|two|2)\b(?! (?:day|week|hour))"),
             _rx(r"\bsingle module\b|\bonly the modules\b|\bone at a time\b|\bone by one\b|\bon its own\b|"
                 r"\bas a single\b|\bseparately\b|\bmodule alone\b")),
    FactKind("training", _rx(r"\b(?:is there|are there|any|do you have|you have|offer)\b.{0,15}\b(?:training|course|"
                             r"class(?:es)?|workshop)s?\b"),
             _rx(r"\b(?:training|course|workshop)s? (?:for|called|named|on)\b|\b(?:[A-Z][a-z]+ ){1,3}\([A-Z]{2,5}\) is "
                 r"the ILO's (?:training|course)\b|\bis (?:an? |the )?(?:ILO )?(?:training|course)\b"),
             _rx(r"\((?:FYB|GYB|SYB|IYB|EYB)\)|training|course")),
    FactKind("literacy", _rx(r"\b(?:can'?t|cannot|cant|don'?t|dont|do not|not|never) (?:\w+ )?(?:read|write)\b|"
                             r"\billiterate\b|\bliteracy\b|\b(?:no|little|low) (?:school|schooling|education)\b"),
             _rx(r"\b(?:pictures?|diagrams?|drawings?|illiterate|literacy|basic reading|reading and (?:writing|counting)|"
                 r"cannot read|can'?t read|do not read|low education)\b")),
    FactKind("place", _rx(r"\bwhere (?:did|was|were) (?:they|it|the \w+|this|that)\b|\bwhere\b.{0,30}\bfirst\b|"
                          r"\bwhere (?:they|it|we|you|did they) (?:used?|tested|piloted|started|began|ran)\b|"
                          r"\bwhere (?:it|they|this|that) (?:was|were|has been|have been) (?:done|used|tried|tested|piloted|"
                          r"applied|run)\b|"  # "any example where it was done"
                          r"\bin which (?:city|town|place)\b"),
             re.compile(r"\b(?:held|took place|started|began|piloted|launched|tested|introduced|developed|used)"
                        r"(?: \w+){0,2} in (?:(?:[A-Z][a-z]+ )?\d{4} in )?(?:(?:the )?(?:(?:south|north|east|west)(?:ern)?|central)"
                        r"(?: and (?:(?:south|north|east|west)(?:ern)?|central))? )?[A-Z][a-zà-ÿ]+|"  # "in southern and eastern Africa"
                        r"\b(?:in|across) (?:more than |over |about |some )?\d+ countries\b|"
                        r"\bpilot\w*(?: [\w-]+){0,4} in [A-Z][a-zà-ÿ]+")),  # "a livestock pilot with refugees ... in Jijiga"
    FactKind("binding", _rx(r"\b(?:a law|the law|by law|legal(?:ly)?|binding|oblig\w*|compulsory|mandatory|must (?:i |we )?"
                            r"(?:follow|obey|do it)|is it (?:a )?must|required)\b"),
             _rx(r"\b(?:not binding|binding|legal duty|required by law|by law|the law|laws? of (?:your|the|each) country|"
                 r"does not (?:force|oblige|require)|guidance for)\b")),
    FactKind("steps", _rx(r"\b(?:what|which) (?:are )?(?:the )?(?:steps?|stages|process|procedure)\b|\bsteps?\b|"
                          r"\bto \w+\b[^?.]{0,60},? how\W*$|"  # "and to register the duka with govt, how?"

                          r"\bhow (?:do|can|should) (?:i|we) (?:do it|start|begin|go about it)\b|\bwhere (?:do|should) (?:i|we) start\b"),
             re.compile(r"(?m)^\s*\d+[.)]\s|\b[Ss]teps?\b[^.\n]{0,80}:(?:\s|$)"),
             _rx(r"\bsteps?\b|\bhow to\b|\bprocess\b")),
    FactKind("selection", _rx(r"\bhow (?:do |does |are |is |will )?(?:they|you|the ilo|firms|businesses|people|participants)? ?"
                              r"(?:pick|choose|select|chosen|selected|picked)\b|\bwho (?:gets|get|is|are) (?:in|chosen|selected|"
                              r"picked|accepted)\b|\bselection\b|\bcriteria\b"),
             _rx(r"\b(?:chosen|selected|selection|criteria|picked)\b")),
    FactKind("ways", _rx(r"\bhow (?:to|can|could|do|should) (?:i |we |you )?(?:cut|reduce|lower|save|bring down|decrease|"
                         r"use less|spend less|stop wasting)\b|\bways? to (?:cut|reduce|lower|save)\b|\btips\b"),
             re.compile(r"(?m)^\s*(?:[-*]|\d+[.)])\s"),  # "how to cut it" (the electricity bill): the list of ways
             _rx(r"\b(?:ways|tips|how to|quick)\b")),
    FactKind("results", _rx(r"\b(?:results?|impact|evidence|proof|worth|benefits?|effective\w*|successful)\b|"
                            r"\bhow much (?:\w+ ){0,3}(?:improve|increase|rise|grow|go up)\w*\b|"
                            r"\b(?:does|did|do|will|has|have) (?:it|this|that|they|[\w-]+(?: [\w-]+)?) (?:really |actually )?"
                            r"(?:work(?:ed)?(?! for)|help(?:ed)?|increased?|improved?|raised?|boost(?:ed)?)\b|"
                            r"\b(?:figures|statistics|stats)\b|\b(?:any|in|the) numbers\b|\bnumbers (?:pl[sz]|please)\b"),
             _rx(r"\b\d+(?:\.\d+)? ?(?:%|per ?cent\b)|\b(?:increas\w*|rose|higher|more likely|evaluat\w*|stud(?:y|ies)|"
                 r"trial|results?|gains)\b"),
             _rx(r"results|evidence|key facts|figures|what participants get")),
)
SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(*])")
MAX_CHARS = 700
KIND_BONUS = 0.2  # a passage that states the kind of fact asked for (in cosine units)
SECTION_BONUS = 0.1  # ... or whose heading is where such facts live
PASSAGE_BONUS = 0.2  # a follow-up's passage: the one the last answer showed ("doc_id#section")...
DOCUMENT_BONUS = 0.05  # ... or another from its document
GUIDE_BONUS = 0.15  # ... or another from its document when that is a guide (C-BED, R204 ...), not a programme page


def expected(question: str) -> list[FactKind]:
    """The kinds of fact a question asks for (none for "what is ...?" and other open questions). A group named
    ("can my wife join?") asks for a sentence about that group, not any sentence saying who a course is for."""
    if _asks_a_term(question):
        return []  # "what is indirect cost?" asks what a term means, not for a fee
    question = HOUSEHOLD_COSTS.sub(" ", question)  # "school fees come from shop money": not a course's fee
    if not _JOINING.search(question):  # "im woman with small boutique ... wat can i do": who asks, not for whom
        question = ASKER_IS.sub(" ", question)  # ("as a woman can i join?" does ask about women)
    kinds = [k for k in FACT_KINDS if k.question.search(question)]
    if ONLY_WOMEN.search(question):  # "is GET Ahead only for women?": whether men can join
        kinds = [k for k in kinds if k.name not in ("women", "who")] + [k for k in FACT_KINDS if k.name == "men"]
    if any(k.name in GROUP_KINDS for k in kinds) and len(sentences := SENTENCES.split(question.strip())) > 1:
        asking = " ".join(x for x in sentences if "?" in x or _JOINING.search(x))
        kinds = [k for k in kinds if k.name not in GROUP_KINDS or k.question.search(asking)]  # "My daughter says I
        # must be formal to get a loan. How to do it?": the daughter is not who the question is about
    if PRICING.search(question):
        kinds = [k for k in kinds if k.name != "cost"]  # "how to calculate price of one dress": pricing, not a fee
    if (m := HOW_MANY.search(question)) and not kinds:  # "how many modules it have" -> "13 modules"
        stem = re.escape(m.group(1).lower().rstrip("s")[:6])
        kinds = [FactKind("count", HOW_MANY, re.compile(rf"\b(?:\d+|{NUMBER_WORDS}) (?:[\w-]+ )?{stem}\w*",
                                                        re.IGNORECASE))]
    if any(k.name not in GROUP_KINDS and k.name != "who" for k in kinds):
        kinds = [k for k in kinds if k.name not in GROUP_KINDS]  # "which countries had the first WED assessment
        # of women entrepreneurs": countries, not a sentence about women
    if any(k.name in GROUP_KINDS for k in kinds):
        kinds = [k for k in kinds if k.name != "who"]
    return kinds


HOUSEHOLD_COSTS = re.compile(r"\b(?:school|hospital|medical|rent|water|electricity|light) (?:fees?|bills?)\b|"
                             r"\b(?:can'?t|cannot|can not|unable to) pay\b|\bpay (?:him|her|them|back)\b|"
                             r"\bpay (?:my|the|our) (?:suppliers?|rent|loans?|debts?|workers|staff|salar\w+|wages|bills?)\b",
                             re.IGNORECASE)
ONLY_WOMEN = re.compile(r"\bonly (?:for|open to) (?:women|woman|ladies|females?|girls)\b", re.IGNORECASE)
_JOINING = re.compile(r"\b(?:join|attend|come|take part|participate|enrol|sign up)\w*", re.IGNORECASE)


GROUP_KINDS = frozenset({"men", "women"})
ASKER_IS = re.compile(r"\b(?:i'?m|i am|im|as|we are|we'?re)(?: an?| \d+| a group of)? (?:young |single |poor |rural )?"
                      r"(?:woman|women|man|men|lady|ladies|girls?|mother|widow)\b", re.IGNORECASE)
# Facts about a programme as a whole, which its page states rather than a guide about one subject
PROGRAMME_LEVEL = frozenset({"funder", "countries", "contact", "join", "training", "year"})
HOW_MANY = re.compile(r"\bhow many ([a-z]{3,})\b", re.IGNORECASE)
NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|twenty"
# The price or cost of what the user makes or sells (answered by costing and pricing, not by a course's fee)
PRICING = re.compile(r"\b(?:calculate|work out|set|put|fix|decide|find)\b.{0,20}\b(?:price|cost)|"
                     r"\b(?:price|cost) (?:of|for) (?:one|my|a|an|each|the|our) (?!course|training|programm?e|program|"
                     r"workshop|package|class)\w+|\bmy (?:prices?|costs?|products?)\b|\bshould (?:i|we) (?:charge|sell)\b|"
                     r"\b(?:my|our) own (?:salary|pay|wage|income|time)\b|\bpay (?:myself|ourselves)\b",
                     re.IGNORECASE)
_WHAT_IS = re.compile(r"^\W*(?:ok(?:ay)?\W+|so\W+)?(?:what|wat)(?: is|'s| are| does) (?:an? |the )?(?P<term>[a-z' -]{3,40}?)"
                      r"(?: mean\w*)?\W*$", re.IGNORECASE)
_OF_THE_COURSE = frozenset("of for in to on course training programme program class workshop total usual average".split())


def _asks_a_term(question: str) -> bool:
    """Whether the question asks what a term of two or more words means ("what is indirect cost?", "what are fixed
    costs"), not a fact about a course ("what is the price of SYB?", "what is the course fee?")."""
    m = _WHAT_IS.match(re.split(r"[.!?;:]\s+", question.strip())[-1])  # "ok, back to price. what is indirect cost"
    words = m.group("term").lower().split() if m else []
    return (len(words) >= 2 and not _OF_THE_COURSE & set(words)
            and not any(k.question.search(words[0]) for k in FACT_KINDS))


_ITEM = re.compile(r"\s*(?:[-*]|\d+[.)])\s")


@dataclass(frozen=True)
class Unit:
    """A sentence or list item, and what separates it from the unit before it ("\n\n", "\n" or " ")."""

    text: str
    before: str


def units(text: str) -> list[Unit]:
    """A passage as its sentences and list items, in order (each whole)."""
    out: list[Unit] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        first = True
        if len(lines) > 1 and all(_ITEM.match(ln) for ln in lines[1:]):  # an intro paragraph and its list items
            pieces = [(p, " ") for p in SENTENCES.split(lines[0]) if p.strip()] + [(ln, "\n") for ln in lines[1:]]
        else:
            pieces = [(p, " ") for p in SENTENCES.split(" ".join(lines)) if p.strip()]
        for piece, sep in pieces:
            out.append(Unit(piece, "\n\n" if first else sep))
            first = False
    return out


def fits(result: SearchResult, kinds: Sequence[FactKind]) -> bool:
    """Whether the passage states a fact of one of the kinds asked for (a passage in another language than
    English also by its heading: "¿Cuánto cuesta IMESUN?")."""
    text = result.text if getattr(result, "language", "en") == "en" else f"{result.section}\n{result.text}"
    return any(kind.sentence.search(text) for kind in kinds)


def _fit(result: SearchResult, kinds: Sequence[FactKind]) -> float:
    best = 0.0
    for kind in kinds:
        bonus = KIND_BONUS if kind.sentence.search(result.text) else 0.0
        if kind.section and kind.section.search(result.section):
            bonus += SECTION_BONUS
        best = max(best, bonus)
    return best


SUBJECT_BONUS = 0.1  # ... and one that names what the topic is ("GET Ahead" after "what is GET Ahead training?")
SUBJECT_WORDS = 4  # a subject longer than this is a guide's title, not a name
_TRAINING_WORDS = re.compile(r"\b(?:training|course|programm?e|program|package)\b", re.IGNORECASE)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", _TRAINING_WORDS.sub(" ", text.lower())).strip()


# A guide for people who want to become trainers answers a participant's question only when nothing else does
TRAINER_GUIDE = "-trainer"  # guides/becoming-a-get-ahead-trainer, guides/becoming-an-siyb-trainer
TRAINER_GUIDE_PENALTY = 0.15
# "how do I keep records?", "i want to become siyb trainer hw": a passage that tells how (its heading says so) over one
# that says why or who
HOW_TO = re.compile(r"(?:^|[.!?,;]\s*)\W*(?:ok\W+|so\W+|and\W+|but\W+)?(?:how|hw|hoe)\s+(?:can|cn|do|does|should|shud|could|must|to|would|"
                    r"shall)\b(?!\s+(?:i|we|you|u)\s+(?:know|tell|find out) (?:if|whether))|\b(?:how|hw)\W*$|"
                    r"\bsteps? (?:to|for)\b|\b(?:which|what) [\w ]{0,20}(?:(?:should|shud|must|do) (?:i|we)|(?:i|we) (?:should|shud|"
                    r"must|need to|have to)) (?:keep|do|start|use)\b|\bwhat (?:can|could|should|shud|must) (?:i|we) do\b",
                    re.IGNORECASE)
# "... its eating all my profit. help", "i want to start a green business, ideas pls": a plea for what to do
ASKS_HELP = re.compile(r"[.,!]\s*(?:pl[sz] |please )?help(?: (?:me|us|pl[sz]|please))?\W*$|\b(?:pl[sz]|please) help\b|"
                       r"\b(?:ideas?|tips|advice) (?:pl[sz]|please)\b", re.IGNORECASE)
HOW_HEADING = re.compile(r"^(?:[\w-]+ ){0,2}(?:steps?|ways|tips)\b|^(?:how to|simple|what to do|where to start)\b",
                         re.IGNORECASE)
HOW_BONUS = 0.13
# "any ILO tool to plan for next typhoon": the section named for the ILO's tool ("The ILO six-step ... plan")
TOOL_QUESTION = re.compile(r"\b(?:ilo )?(?:tools?|templates?|toolkits?)\b", re.IGNORECASE)
ILO_TOOL_HEADING = re.compile(r"^(?:the )?ILO(?:'s)? (?!can\b|help)", re.IGNORECASE)
TOOL_BONUS = 0.1
# "after registering is there more to do?": the steps that come after the one named
AFTER_STEP = re.compile(r"\bafter (?:i |we |you |u )?(?:have |has |had |am |are )?(?:the |my |our |i |we )?"
                        r"(?!that\b|this\b|it\b|them\b)([a-z]{4,})", re.IGNORECASE)
AFTER_ITEMS = 3  # ... the last items of its list
MORE_TO_DO = re.compile(r"\b(?:else|more|next|then|anything|other|now|after that)\b", re.IGNORECASE)


def after_step(question: str) -> str | None:
    """The stem of the step a question asks what comes after ("after registration anything else to do?" -> "regis"),
    or None."""
    m = AFTER_STEP.search(question)
    return m.group(1).lower()[:5] if m and MORE_TO_DO.search(question[m.end():]) else None


def lists_step_asked(question: str, text: str) -> bool:
    """Whether a passage is a list with an item naming the step the question asks what comes after (the list
    items `window` then answers from)."""
    stem = after_step(question)
    return stem is not None and any(u.before == "\n" and stem in u.text.lower() for u in units(text))
NO_TRAINER_BONUS = 0.1  # a question saying no trainer is near: a passage titled for that case ("... when no trainers are available")
NO_TRAINER = re.compile(r"\b(?:no|not any|without|there (?:is|are) no)\s+(?:\w+\s+)?trainers?\b|\btrainers? (?:never|don'?t|do not) "
                        r"come\b", re.IGNORECASE)
ABOUT_TRAINING_TRAINERS = re.compile(r"\b(?:trainers?|ToTs?|training of trainers|certif\w*|facilitat\w*|teach\w*|"
                                     r"master trainers?|become|becoming)\b", re.IGNORECASE)


def choose(question: str, results: Sequence[SearchResult], programme: str | None = None,
           document: str | None = None, subject: str | None = None) -> SearchResult:
    """The passage that answers the question best: among the results of one programme (the topic's, or the
    best result's), one that states the kind of fact asked for if any, by score plus that bonus (plus a
    bonus for the passage or document the conversation is about, `document`: "doc_id#section", and for one that
    names the thing it is about, `subject`: "GET Ahead")."""
    if not results:
        raise ValueError("no passages to choose from")
    no_trainer = bool(NO_TRAINER.search(question))  # "no trainers come to our village": the way to learn without one
    for_trainers = bool(ABOUT_TRAINING_TRAINERS.search(question)) and not no_trainer

    def away(r: SearchResult) -> float:
        return TRAINER_GUIDE_PENALTY if TRAINER_GUIDE in r.doc_id and not for_trainers else 0.0

    programme = programme or max(results, key=lambda r: r.score - away(r)).programme
    about = f" {_key(subject)} " if subject and len(subject.split()) <= SUBJECT_WORDS else None
    kinds = expected(question)
    how = all(k.name in GROUP_KINDS for k in kinds) and bool(HOW_TO.search(question) or ASKS_HELP.search(question) or after_step(question))
    tool = bool(TOOL_QUESTION.search(question))
    pool = [r for r in results if r.programme == programme] or list(results)

    def value(r: SearchResult) -> tuple[bool, float]:
        fit = _fit(r, kinds) if not away(r) else 0.0  # a trainer course's "7 days" does not answer a participant
        same_doc = r.doc_id == (document or "").split("#")[0]
        guide = not r.doc_id.startswith("programmes/")  # a guide is about one thing: stay in it
        shown = f"{r.doc_id}#{r.section}" == document  # the passage the last answer showed: again only for a fact it states
        near = PASSAGE_BONUS if shown and fit > 0 else (GUIDE_BONUS if guide else DOCUMENT_BONUS) if same_doc else 0.0
        named = SUBJECT_BONUS if about and about in f" {_key(r.section)} {_key(r.text[:400])} " else 0.0
        for_no_trainer = NO_TRAINER_BONUS if no_trainer and NO_TRAINER.search(f"{r.title} {r.section}") else 0.0
        telling_how = HOW_BONUS if how and HOW_HEADING.match(r.section) else 0.0
        the_tool = TOOL_BONUS if tool and ILO_TOOL_HEADING.search(r.section) else 0.0
        return fit > 0, r.score + fit + near + named + for_no_trainer + telling_how + the_tool - away(r)

    return max(pool, key=value)


def window(question: str, text: str, limit: int = MAX_CHARS, start: int | None = None,
           lead: bool = False) -> tuple[str, int | None]:
    """The part of a passage that answers the question: whole sentences and whole lists, about `limit`
    characters (at least one unit), starting at the passage's beginning unless the fact asked for comes
    later (or at unit `start`, for "Tell me more"). `lead`: the user has seen this passage, so start at the
    sentence that answers ("can I take only one module?" -> "An owner can take only the modules they need ...").

    Returns the text and the unit where the passage goes on after it (None when it was shown to the end).
    """
    parts = units(text)
    if not parts:
        return "", None
    if start is None:
        hit = _answering_unit(question, parts)
        start = 0
        if hit and not lead and YES_NO.match(question) and parts[hit].before == " ":
            return _settled_first(parts, hit, limit)  # "can men join GET Ahead?" -> "Men can join ... too."
        if after_step(question) and hit:
            start = hit  # "after registering, anything else?": the last steps of the list
        elif lead and hit:
            start = hit
            while start > 0 and parts[start].before == "\n":  # a list item: from the list's intro line
                start -= 1
        elif sum(len(u.text) + 1 for u in parts[: hit + 1]) > limit:  # the fact comes late: start just before it
            start = hit - 1 if hit and parts[hit].before == " " else hit
        elif hit and parts[hit].before == "\n\n" and expected(question):
            start = hit  # the fact opens a later paragraph: "is there a cost?" -> "Each provider sets its own fee. ..."
    else:
        hit = start = min(max(start, 0), len(parts) - 1)
    end, used = start, 0
    for i in range(start, len(parts)):
        if i > start and i > hit and used + len(parts[i].text) + 1 > limit:
            break
        end, used = i + 1, used + len(parts[i].text) + 1
    end = _whole_lists(parts, start, end, hit, limit)
    body = "".join((u.before if i else "") + u.text for i, u in enumerate(parts[start:end]))
    return body, end if end < len(parts) else None


YES_NO = re.compile(r"^\W*(?:can|could|may|is|are|does|do|did|will|would|should|has|have)\b", re.IGNORECASE)


def _settled_first(parts: list[Unit], hit: int, limit: int) -> tuple[str, int | None]:
    """A yes/no question's window: the sentence that settles it, then the passage from its start (whole units)."""
    body, used, end = parts[hit].text, len(parts[hit].text), 0
    for i, u in enumerate(parts):
        if i == hit:
            continue
        if used + len(u.text) + 1 > limit or i > hit:
            break
        body += ("\n\n" if i == 0 else u.before) + u.text
        used, end = used + len(u.text) + 1, i + 1
    end = max(end, hit + 1) if end >= hit else end
    return body, end if end < len(parts) else None


_ASKED_WORD = re.compile(r"[a-z]{4,}")
_NOT_ASKED = frozenset("what which where when does have with that this they them there their about into your from "
                       "will would could should can't want need know tell give please also just only".split())


def answers_in_words(question: str, result: SearchResult) -> bool:
    """Whether an open question's words meet in one sentence of the passage ("only one module" -> "take only
    the modules they need")."""
    return not expected(question) and _answering_unit(question, units(result.text)) > 0


def _answering_unit(question: str, parts: list[Unit]) -> int:
    """The first unit stating the kind of fact asked for; for an open question, the unit sharing most words
    with it (two at least); else 0."""
    if after_step(question) and (items := [i for i, u in enumerate(parts) if u.before == "\n"]):
        return items[max(0, len(items) - AFTER_ITEMS)]  # a list's last steps: what comes after the one named
    kinds = expected(question)
    if kinds:
        hits = [i for i, u in enumerate(parts) if any(k.sentence.search(u.text) for k in kinds)]
        if any(k.name == "steps" for k in kinds):
            return hits[0] if hits else 0
        # a sentence before a list item: "is there a cost?" -> "Each provider sets its own fee.", not the checklist's
        # "3. Ask about dates, language and fees before you sign up."
        return next((i for i in hits if parts[i].before != "\n"), hits[0] if hits else 0)
    asked = {w[:5] for w in _ASKED_WORD.findall(question.lower()) if w not in _NOT_ASKED}
    overlap = [len(asked & {w[:5] for w in _ASKED_WORD.findall(u.text.lower())}) for u in parts]
    best = max(range(len(parts)), key=lambda i: overlap[i]) if parts else 0
    return best if overlap and overlap[best] >= 2 else 0


def _whole_lists(parts: list[Unit], start: int, end: int, hit: int, limit: int) -> int:
    """Move a cut that falls inside a list: to the list's end when it stays short, else before its intro line."""
    if end >= len(parts) or parts[end].before != "\n":
        return end  # the next unit starts a sentence or a paragraph: not inside a list
    intro = end - 1
    while intro > start and parts[intro].before == "\n":
        intro -= 1
    last = end
    while last < len(parts) and parts[last].before == "\n":
        last += 1
    if sum(len(u.text) + 1 for u in parts[start:last]) <= 2 * limit:
        return last
    return intro if intro > max(start, hit) else end
