"""Hand-written, high-precision rules for reply intents, applied sentence by sentence.

A rule fires on a sentence (or on the clause after its last "but") and names an intent. Meeting,
pricing and information rules need a request cue, and a meeting mention under negation ("we are not
looking to meet") counts as declining, never as a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadqual.drafting._text import clause_after_contrast, resolve_litotes

__all__ = ["RuleHit", "match_rules"]

_I = re.IGNORECASE


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), _I)


BOUNCE = _rx(
    r"\b(?:undeliverable|undelivered|non-?delivery|delivery (?:has )?failed|delivery failure|"
    r"delivery status notification|mail delivery (?:failed|subsystem|software)|returned mail|"
    r"returned to sender|failure notice|could ?n[o']t be delivered|could not deliver|"
    r"was(?: not|n't) delivered|unable to deliver|not delivered|failed permanently|"
    r"message (?:was )?(?:bounced|blocked|rejected)|rejected by the recipient)",
    r"\b(?:user unknown|no such (?:user|recipient)|mailbox (?:unavailable|not found|is full|"
    r"quota)|recipient (?:address )?(?:rejected|not found)|address (?:not found|rejected|"
    r"couldn't be found)|account (?:that you tried to reach |you tried to reach )?"
    r"(?:does not exist|has been disabled|is disabled)|(?:is|been) disabled|"
    r"no longer (?:accepts mail|exists)|recipientnotfound)",
    r"\b5\.\d\.\d+\b|\b55[0-4] ",
)

OUT_OF_OFFICE = _rx(
    r"\bout of (?:the )?office\b|\bOOO\b|\bnot in the office\b|\bbin bis\b|\bsuis absent",
    r"\bon (?:annual |parental |maternity |paternity |sick |long[- ]term |medical )?"
    r"(?:leave|holiday|vacation|sabbatical)\b|\bleave of absence\b|\bout sick\b|\bsick leave\b",
    r"\b(?:away|off) (?:until|till|from|on business|on leave)\b|\baway from my desk\b|"
    r"\boff until\b|\bI'?m off\b",
    r"\b(?:back|returning|return) (?:in the office )?(?:on|in|at|from)? ?(?:mon|tue|wed|thu|fri|"
    r"sat|sun|the \d|\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|early|late|next)",
    r"\blimited (?:access to (?:e-?mail|my e-?mail)|connectivity)\b|\bno (?:access to )?e-?mail\b",
    r"\b(?:offices? (?:are |is )?closed|mailbox is not monitored|holiday closure)\b",
    r"\b(?:travell?ing|on a business trip|at (?:a|our|the) (?:conference|trade ?show|sales "
    r"kickoff|customer offsite|offsite))\b.{0,60}\b(?:until|this week|all week|respon|repl|"
    r"return|back|delay)",
    r"\bcurrently offsite\b",
)

REFERRAL_NAMED = re.compile(
    r"\b(?:[Rr]each out|[Tt]alk|[Ss]peak|[Gg]et in touch|[Cc]ontact|[Tt]ry|[Ll]oop in|[Cc]opying|"
    r"[Aa]dding|[Ii]ntroduce you to)\s+(?:to\s+|with\s+)?[A-Z][a-z]+\b(?! (?:team|department))"
)
REFERRAL = _rx(
    r"\b(?:not|wrong) (?:the )?(?:right |best |correct )?(?:person|contact|one|department)\b",
    r"\bnot my (?:area|department|remit|call)\b|\bnot involved in\b|\bI don'?t (?:handle|make|"
    r"decide|own)\b|\bdon'?t make these decisions\b",
    r"\b(?:reach out|talk|speak|get in touch|go|direct this|send this|send it|pass this) "
    r"(?:to|with)\b.{0,40}\b(?:our|my|the|their)\b|\b(?:contact|try|ask) (?:our|my|the)\b.{0,60}"
    r"\b(?:head|director|manager|lead|vp|cfo|cro|coo|cio|cto|ceo|team|colleague|boss|"
    r"department|successor|replacement|instead)\b",
    r"\b(?:(?:i'?ve |i have |i )?forwarded|forwarding (?:this|it|your)|forward(?:ing)? (?:this|it|"
    r"your \w+) to|pass(?:ed|ing)?(?: (?:this|it|your note|your email))? on to|"
    r"hand(?:ed|ing)? (?:this|it)(?: over)?|redirect(?:ed|ing)?|copying|cc'?ing|adding my "
    r"colleague|loop(?:ing)? in|introduce you)\b",
    r"\b(?:left|leaving) the (?:company|firm|organi[sz]ation|business)\b|\bmy (?:successor|"
    r"replacement)\b|\btaking over\b|\bchanged jobs\b|\bno longer (?:work|on|in charge)\b|"
    r"\bmoved to a different role\b|\bI'?m retiring\b",
    r"\b(?:person you need|best person|right person is|right one to|better contact|"
    r"decision (?:maker|sits)|would be the one|owns (?:the|this|our) budget|falls under|"
    r"(?:owns|runs|handles|looks after|manages|evaluates) (?:our|the|this|sales|these)|who "
    r"(?:owns|decides|runs|handles|looks after|evaluates|manages))\b",
)

NOT_INTERESTED = _rx(
    r"\bnot interested\b|\bno interest\b|\bzero interest\b|\bunsubscribe\b|\bopt (?:me )?out\b",
    r"\bremove (?:me|us|my|our)\b|\btake (?:me|us|my address|my name) off\b|\bdelete my\b",
    r"\bstop (?:emailing|sending|contacting|all|calling|these|reaching)|\bplease stop\b|"
    r"\bcease contact\b|\bleave me alone\b",
    r"\b(?:do not|don'?t|never) (?:contact|email|e-mail|reach out|wish to receive|follow up)\b|"
    r"\bno need to (?:follow up|reach out|contact)\b",
    r"\b(?:we'?ll|i'?ll|going to|will) pass\b(?! (?:this|it|your|on|along))|\bhard pass\b|\bno,? thanks?(?: you)?\b|"
    r"\bthanks,? but no\b|^\s*no\.?\s*$",
    r"\bnot (?:a fit|for us|relevant|in the market|considering|pursuing|something we)\b|"
    r"\bnot going to proceed\b|\bnot (?:be )?(?:moving|taking this) forward\b|"
    r"\bwon'?t be (?:moving|taking|needing|proceeding)\b|\bwill not be (?:moving|proceeding)\b|"
    r"\bdecided against\b|\bnothing to discuss\b|\bwe'?re (?:out|all set)\b",
    r"\b(?:went|go|going|decided to go|signed|chosen|picked|chose) (?:with )?(?:another|a "
    r"different|a competitor|an?other)\b|\b(?:chosen|picked) (?:a|another) (?:vendor|"
    r"competitor|provider|solution)\b|\balready picked\b|\bjust renewed\b",
    r"\bdon'?t (?:need|want) it\b|\bno need for (?:a|this) (?:forecasting )?tool\b|"
    r"\bhave no (?:need|plans)\b|\bdropped the\b|\bclose (?:my file|this out)\b|"
    r"\bmark us as closed\b",
)

_MEETING_WORDS = (
    r"(?:call|meet|meeting|demo|demonstration|chat|zoom|teams|google meet|walk ?through|walk|"
    r"session|invite|time|slot|talk|conversation|discussion|discuss|workshop|coffee|"
    r"presentation|present|catch up|connect|get together|hop on|jump on|get on|screen ?share|"
    r"intro|deep dive|phone)"
)
_WHEN = (
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?|tomorrow|next (?:week|"
    r"month)|this week|later this week|\d{1,2}(?::\d\d)?\s?(?:am|pm)|\d{1,2}:\d\d|at \d{1,2}|"
    r"the \d{1,2}(?:st|nd|rd|th)|morning|afternoon|noon|early next|week of)"
)
MEETING = _rx(
    r"\b(?:let'?s|lets|let us|can we|could we|shall we|should we|happy to|glad to|would love to|"
    r"love to|keen to|i'?d like to|we'?d like to|i want to|we want to|open to|please|pls|set up|"
    r"book|schedule|arrange|put|propose|get|grab|welcome|like|yes|sure|ok|okay|absolutely|"
    r"(?:can|could|would|will) (?:you|your team|someone|one of your)|i'?d (?:love|welcome|be (?:glad|happy))|we'?d (?:love|welcome|"
    r"be (?:glad|happy|open)))\b(?:\W+[\w'-]+){0,6}?\W+" + _MEETING_WORDS + r"\b",
    r"\bare you (?:free|around|available)\b|\bi'?m (?:free|available|around|open)\b|"
    r"\bwe'?re (?:free|available|flexible)\b|\bcall me\b|\bwhen can we\b|\bwhen (?:are you|"
    r"works|is good)\b|\bhow about\b|\bany (?:time|day|slot)\b|\b(?:booking|calendar) link\b|"
    r"\binvite\b|\bon my calendar\b|\bin the diary\b|\bpick any\b|\bgrab (?:a|any) (?:slot|"
    r"time)\b|\byour pick\b|\bi can (?:do|meet)\b|\bwe can (?:do|meet)\b",
    _WHEN + r"\b.{0,30}\b(?:works?|suits?|is (?:good|fine|best|open)|are (?:best|open|good))\b",
    r"(?<!budget )(?<!board )(?<!team )\b(?:call|meet|meeting|demo|chat|talk|session|"
    r"walkthrough|intro)\b.{0,40}\b" + _WHEN + r"\b",
)
MEETING_EXCLUDED = re.compile(
    r"\b(?:recording|recorded|video|liked the|after the|since the|saw the|seen the|the demo "
    r"(?:was|went)|we'?ve seen it)\b",
    _I,
)
NEGATED_MEETING = re.compile(
    r"\b(?:not|no|don'?t|do not|won'?t|never|rather not|without|no need for|not looking to|"
    r"not interested in)\b(?:\s+\w+){0,4}?\s+(?:a |any |the )?(?:call|meet|meeting|demo|"
    r"schedule|talk|conversation|chat)\b|\b(?:call|meeting|demo)s? (?:is |are )?(?:not )?"
    r"(?:needed|necessary)\b",
    _I,
)

PRICING_TERMS = re.compile(
    r"\b(?:pric(?:e|es|ing|ed)|cost(?:s|ing)?|quot(?:e|es|ation)|discount|rate card|rates?|"
    r"how much|fee|fees|budget(?:ed)?|invest(?:ment)?|proposal|offer|commercial terms|"
    r"contract terms|payment terms|licen[cs]ing options|cheaper|% off|\d+% off|ballpark|"
    r"estimate|free trial|reduced (?:price|rate)|money|tco|total cost|charge)\b",
    _I,
)
PRICING_CUES = re.compile(
    r"\?|\b(?:can you|could you|would you|please|send|share|give|need|what|how|is there|"
    r"are there|do you|any chance|best|possible|match|come down|do better|negotiab|"
    r"flexib|wants? a|put together|asks? for|price out|quote (?:the|us|me)|i'?d like|"
    r"we'?d like|looking for|require|next step)\b|\bfor \d+\s*(?:users|seats|licen[cs]es|reps|"
    r"people|sellers)\b",
    _I,
)
PRICING_NEGATIVE = re.compile(
    r"\b(?:too (?:expensive|high)|above (?:our|what)|half the price|can'?t justify|"
    r"expensive|hard to justify|pricing (?:can|aside) wait|pricing aside|don'?t need pricing|"
    r"no (?:budget|money))\b",
    _I,
)

INFO_TERMS = re.compile(
    r"\b(?:info|information|details?|deck|one-?pager|brochure|case stud(?:y|ies)|"
    r"documentation|docs|datasheet|data sheet|whitepaper|white paper|product (?:sheet|"
    r"overview)|references?|report|material|literature|recording|video|overview|sandbox|"
    r"guide|knowledge base|questionnaire|agreement|sla|certif\w*|complian\w*|gdpr|hipaa|"
    r"soc ?2|iso|api|integrat\w*|support|training|onboarding|implementation|deployment|"
    r"rollout|rolling|hosted|hosting|servers?|residency|retention|security|sso|single "
    r"sign-on|mobile app|languages?|accuracy|accurate|uptime|roi|customer story|"
    r"trust center|listing|comparison|requirements|webinars?|sample|how (?:it|this|your|the)"
    r"\b.{0,40}\bworks?)\b",
    _I,
)
INFO_CUES = re.compile(
    r"\?|\b(?:can you|could you|would you|please|pls|send|share|forward|email me|point me|"
    r"tell me|explain|describe|i'?d (?:like|appreciate)|we'?d like|any|do you|does it|is there|"
    r"are there|what|which|where|how|is your|are your|want to know|like to know|understand)\b",
    _I,
)
QUESTION = re.compile(
    r"\?\s*$|^(?:do|does|is|are|can|could|will|would|what|which|where|how|who)\b", re.IGNORECASE
)

OBJECTION = _rx(
    r"\balready (?:use|have|using|work with|got|built)\b|\bhappy with (?:our|the|it)\b|"
    r"\bbuilt (?:something|our own|it)\b.{0,20}\bin-?house\b|\bin-?house\b",
    r"\b(?:too|quite|very|pretty|seems?|looks?|rather) expensive\b|\bexpensive\b|"
    r"\bcan'?t justify\b|\bhard (?:to justify|sell)\b|\bcheaper\b|\bhalf the price\b|"
    r"\babove our budget\b|\bcost would be\b",
    r"\bno budget\b|\bbudget (?:is |has been )?(?:frozen|cut|gone)\b|\bnot in (?:this year'?s|"
    r"the|our) budget\b|\bno budget left\b|\bdon'?t have (?:the )?budget\b|\bcutting\b",
    r"\bnot a priority\b|\bnot the right (?:moment|time)\b|\b(?:bad|poor) timing\b|"
    r"\btiming (?:is|isn'?t) (?:bad|not|wrong|tough|difficult)|\brevisit\b|"
    r"\bmaybe later\b|\bping me again\b|\bwould have to wait\b|\bnot (?:ready|now)\b|"
    r"\bnot (?:right now|at (?:the|this) (?:moment|time|stage))\b",
    r"\b(?:doubt|skeptic\w*|sceptic\w*|not convinced|not sure|concern\w*|worr(?:y|ied|ies)|"
    r"afraid|burned|burnt|overpromis\w*|didn'?t deliver|terrible|never sign off|won'?t "
    r"(?:allow|approve))\b",
    r"\btoo small\b|\bonly \w+ people\b|\bgood enough\b|\bdon'?t see (?:the|how)\b|"
    r"\blocked into\b|\bcontract\b.{0,40}\b(?:runs|until)\b|\bon-?prem\w*\b|\bown servers\b|"
    r"\banother (?:tool|dashboard|implementation)\b|\btoo many tools\b|\bbigger problems\b",
)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired: the intent it names and the sentence it fired on."""

    intent: str
    sentence: str
    declined_meeting: bool = False


_NEGATOR_BEFORE = re.compile(
    r"\b(?:not|no|don'?t|do not|doesn'?t|won'?t|never|without|rather not|no need for|"
    r"not looking for|not interested in)\b(?:\W+[\w'-]+){0,3}?\W*$",
    _I,
)


def _only_negated(terms: re.Pattern[str], text: str) -> bool:
    """Whether every mention of ``terms`` in ``text`` follows a negator ("no pricing needed")."""
    mentions = list(terms.finditer(text))
    return bool(mentions) and all(
        _NEGATOR_BEFORE.search(text[max(0, m.start() - 60) : m.start()]) for m in mentions
    )


def _meeting(text: str) -> bool:
    return bool(MEETING.search(text)) and not MEETING_EXCLUDED.search(text)


def _intents_in(text: str) -> list[str]:
    found: list[str] = []
    if BOUNCE.search(text):
        found.append("bounce")
    if OUT_OF_OFFICE.search(text):
        found.append("out_of_office")
    if NOT_INTERESTED.search(text):
        found.append("not_interested")
    if REFERRAL.search(text) or REFERRAL_NAMED.search(text):
        found.append("referral")
    if not NEGATED_MEETING.search(text) and _meeting(text):
        found.append("meeting_request")
    if (
        PRICING_TERMS.search(text)
        and PRICING_CUES.search(text)
        and not PRICING_NEGATIVE.search(text)
        and not _only_negated(PRICING_TERMS, text)
    ):
        found.append("pricing_request")
    if INFO_TERMS.search(text) and INFO_CUES.search(text) and not _only_negated(INFO_TERMS, text):
        found.append("information_request")
    if OBJECTION.search(text):
        found.append("objection")
    return found


def match_rules(sentences: list[str]) -> list[RuleHit]:
    """Every rule hit over ``sentences``; a clause after "but" overrides what precedes it."""
    hits: list[RuleHit] = []
    for sentence in sentences:
        # Rules read the sentence with double negations resolved; the evidence stays verbatim.
        text = resolve_litotes(sentence)
        tail = clause_after_contrast(text)
        intents = _intents_in(tail) if tail else []
        if not intents:
            intents = _intents_in(text)
        hits.extend(RuleHit(intent, sentence) for intent in intents)
        if NEGATED_MEETING.search(text) and not (tail and _intents_in(tail)):
            hits.append(RuleHit("declined_meeting", sentence, declined_meeting=True))
    return hits
