"""The checks before signing: every blank, contradiction and risk in a convention, by rule.

Each rule has a stable code, a severity, and a French message that says what to do. A finding is
located (file, line, field) through the loader's source map. A convention may waive a rule with a
written justification (``waivers: {CODE: "raison"}``); the finding is then reported as waived, never
hidden, and no longer counts for the exit code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel

from dpa_kit.labels import located
from dpa_kit.loader import FieldPath, LoadedConvention
from dpa_kit.model import Convention, FateAction, SensitiveData
from dpa_kit.placeholders import find_placeholders
from dpa_kit.rules import (
    CONVENTION,
    EMAIL_ADDRESSES,
    FINDINGS_JSON_SCHEMA,
    FOLDER,
    REQUIRED_ANSWERS,
    RULES,
    Finding,
    Rule,
    Severity,
    rules,
)

__all__ = [
    "CHECKS",
    "FINDINGS_JSON_SCHEMA",
    "Finding",
    "Report",
    "Severity",
    "Verdict",
    "all_rules",
    "check_convention",
    "check_conventions",
    "check_folder",
    "findings_from_problems",
    "rule_table_markdown",
    "verdict",
]


#: The implementation of each convention rule of the catalogue: code -> function yielding (field path, message).
CHECKS: dict[str, Callable[[Convention], Iterable[tuple[FieldPath, str]]]] = {}


def check(code: str) -> Callable[[Any], Any]:
    """Register the function that applies the convention rule ``code`` of :data:`dpa_kit.rules.RULES`."""

    def register(func: Callable[[Convention], Iterable[tuple[FieldPath, str]]]) -> Any:
        if code in CHECKS:
            raise ValueError(f"duplicate rule code {code}")
        if code not in RULES or RULES[code].scope != CONVENTION:
            raise ValueError(f"{code} is not a convention rule of the catalogue")
        CHECKS[code] = func
        return func

    return register


EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _empty(value: Any) -> bool:
    return value is None or (
        isinstance(value, (str, list))
        and not [v for v in ([value] if isinstance(value, str) else value) if str(v).strip()]
    )


# --- completeness ----------------------------------------------------------------------------------

# Where each required answer lives (the catalogue, dpa_kit.rules.REQUIRED_ANSWERS, says what it is).
_REQUIRED_PATHS: dict[str, FieldPath] = {
    "C101": ("processing", "service"),
    "C102": ("processing", "operations"),
    "C103": ("processing", "purposes"),
    "C104": ("processing", "data_categories"),
    "C105": ("processing", "data_subjects"),
    "C106": ("subprocessing", "option"),
    "C109": ("security", "option"),
    "C111": ("data_fate", "action"),
    "C116": ("processor", "name"),
    "C117": ("processor", "siret"),
    "C118": ("period", "start"),
    "C119": ("period", "end"),
}


def _get(convention: Convention, path: FieldPath) -> Any:
    value: Any = convention
    for part in path:
        value = value[part] if isinstance(part, int) else getattr(value, part)
    return value


def _register_required(code: str, path: FieldPath) -> None:
    what = REQUIRED_ANSWERS[code][1]

    @check(code)
    def apply(convention: Convention) -> Iterator[tuple[FieldPath, str]]:
        if _empty(_get(convention, path)):
            yield path, f"réponse manquante : indiquez {what}"


for _code, _path in _REQUIRED_PATHS.items():
    _register_required(_code, _path)


@check("C107")
def _option_a_period(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option == "A" and _empty(c.subprocessing.objection_period):
        yield (
            ("subprocessing", "objection_period"),
            "option A : indiquez le délai d'objection du Département (par exemple « 3 mois »)",
        )


@check("C108")
def _option_b_activities(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option == "B" and _empty(c.subprocessing.authorised_activities):
        yield (
            ("subprocessing", "authorised_activities"),
            "option B : listez au moins une activité sous-traitée autorisée",
        )


@check("C110")
def _security_annex(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option == 2 and _empty(c.security.annex):
        yield (
            ("security", "annex"),
            "option de sécurité 2 : indiquez la référence de l'annexe Sécurité et Confidentialité jointe",
        )


@check("C120")
def _representatives(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    for party, label in (("controller", "du Département"), ("processor", "de la structure")):
        representative = getattr(c, party).representative
        if representative is None or _empty(representative.name):
            yield (party, "representative", "name"), f"indiquez le nom du représentant {label} qui signe la convention"


@check("C121")
def _responsibilities(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    # The matrix of the security annex states the split whenever one of its measures has a party in charge.
    if c.security.option == 2 and _empty(c.security.responsibilities) and not _matrix_has_parties(c):
        yield (
            ("security", "responsibilities"),
            "option de sécurité 2 : écrivez la répartition des responsabilités de chaque partie (article 32), "
            "une recommandation de rédaction ne se signe pas",
        )


def _matrix_has_parties(c: Convention) -> bool:
    from dpa_kit.security import select

    return any(measure.parties for measure in select(c).measures)


@check("C112")
def _third_party(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    fate = c.data_fate
    if (
        fate.action is FateAction.return_to_third_party
        and _empty(fate.third_party)
        and _empty(fate.third_party_information)
    ):
        yield (
            ("data_fate", "third_party"),
            "nommez le tiers désigné par le Département (data_fate.third_party) ou les modalités d'information "
            "(data_fate.third_party_information)",
        )


def _email_rule(code: str, path: FieldPath) -> None:
    what = EMAIL_ADDRESSES[code]

    @check(code)
    def apply(c: Convention) -> Iterator[tuple[FieldPath, str]]:
        value = _get(c, path)
        if _empty(value):
            yield path, f"réponse manquante : indiquez {what}"
        elif not EMAIL.match(value):
            yield path, f"« {value} » n'est pas une adresse électronique valide ({what})"


_email_rule("C113", ("notifications", "breach_address"))
_email_rule("C114", ("notifications", "rights_requests_address"))


@check("C115")
def _processor_dpo(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if not c.processor_dpo_declared:
        yield (
            ("processor",),
            "indiquez le délégué à la protection des données de la structure, ou écrivez « dpo: null » si elle "
            "n'en a pas désigné",
        )
    elif (
        c.processor.dpo is not None
        and _empty(c.processor.dpo.email)
        and _empty(c.processor.dpo.phone)
        and _empty(c.processor.dpo.address)
    ):
        yield (
            ("processor", "dpo"),
            "donnez au moins un moyen de joindre le délégué à la protection des données (email, phone ou address)",
        )


# The answers of the annex template (its ``need()`` labels) that a rule above already asks for; any
# other blank the template meets is reported by C122, so that nothing the text needs goes unreported.
_TEMPLATE_LABELS_COVERED = (
    "le service",  # C101
    "la nature des opérations",  # C102
    "les finalités",  # C103
    "les catégories de données",  # C104
    "les catégories de personnes concernées",  # C105
    "l'option de sous-traitance",  # C106
    "le délai d'objection du Département",  # C107
    "les activités de traitement sous-traitées autorisées",  # C108
    "l'option de sécurité",  # C109
    "la référence de l'annexe Sécurité et Confidentialité",  # C110
    "le sort des données",  # C111
    "le tiers désigné ou les modalités d'information de l'organisme",  # C112
    "l'adresse de notification des violations",  # C113
    "l'adresse de transmission des demandes d'exercice des droits",  # C114
    "la répartition des responsabilités de sécurité",  # C121
    "les garanties appropriées du transfert",  # K302
    "les garanties du transfert vers le sous-traitant",  # K301
    # the security annex of option 2 (dpa_kit.security.missing_answers)
    "le motif de l'exclusion de la mesure",  # S701
    "la partie responsable de la mesure",  # S702
    "le titre de la mesure",  # S706
    "le texte de la mesure",  # S706
    "le nom de la structure",  # C116
    "le SIRET de la structure",  # C117
    "la date de l'annexe Sécurité et Confidentialité",  # C118 (the annex is dated from the start by default)
    "la période de la convention",  # C118, C119
)


@check("C122")
def _template_answers(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.documents.annex import missing_answers

    for label in missing_answers(c):
        if not label.startswith(_TEMPLATE_LABELS_COVERED):
            yield (), f"réponse manquante pour le texte de l'annexe : {label}"


# --- placeholders ----------------------------------------------------------------------------------


def _strings(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), (*path, name))


@check("P201")
def _placeholders(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    for path, text in _strings(c, ()):
        if path and path[0] in {"notes", "waivers"}:
            continue
        for hit in find_placeholders(text):
            yield path, f"{hit.label} : « {hit.excerpt} » ; remplacez-le par la vraie valeur"


# --- consistency -----------------------------------------------------------------------------------


@check("K301")
def _subprocessor_outside(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.countries import country_name, is_eu_eea

    for index, sub in enumerate(c.subprocessing.subprocessors):
        if sub.country and not is_eu_eea(sub.country) and c.transfer_for(sub) is None:
            yield (
                ("subprocessing", "subprocessors", index, "country"),
                f"le sous-traitant {sub.name or index + 1} est établi hors UE/EEE ({country_name(sub.country)}) : "
                f"c'est un transfert ; ajoutez-le à « transfers » (pays {sub.country}, destinataire "
                f"« {sub.name or '...'} ») avec ses garanties",
            )


# The patterns of rules that apply to some conventions only stay text until used (re caches them compiled):
# compiling every one of them at import costs `check` ~2 ms.
_EMPTY_SAFEGUARDS = (
    r"(?i)^\W*(n\W?a|n\W?c|na|nc|aucune?s?|n[ée]ant|sans objet|non|rien|ras|none|tbd|\?+|-+|/+|[.]+|à voir|"
    r"à définir|à compléter)?\W*$"
)


@check("K308")
def _empty_safeguards(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    places: list[tuple[FieldPath, str | None]] = [
        (("transfers", index, "safeguards"), t.safeguards) for index, t in enumerate(c.transfers)
    ]
    places += [
        (("subprocessing", "subprocessors", index, "safeguards"), s.safeguards)
        for index, s in enumerate(c.subprocessing.subprocessors)
    ]
    for path, text in places:
        if text is not None and re.match(_EMPTY_SAFEGUARDS, text):
            yield (
                path,
                f"« {text} » ne décrit aucune garantie : nommez la décision d'adéquation, les clauses types ou les BCR",
            )


@check("K302")
def _transfer_safeguards(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.countries import is_eu_eea

    for index, transfer in enumerate(c.transfers):
        if transfer.country and is_eu_eea(transfer.country):
            yield (
                ("transfers", index, "country"),
                f"{transfer.country} est dans l'UE/EEE : ce n'est pas un transfert hors UE, retirez-le de « "
                "transfers »",
            )
        elif _empty(transfer.safeguards):
            yield (
                ("transfers", index, "safeguards"),
                "indiquez les garanties appropriées de ce transfert (décision d'adéquation, clauses types, BCR...)",
            )


@check("K303")
def _option_b_consistency(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option != "B":
        return
    allowed = {a.strip().lower().rstrip(" .;") for a in c.subprocessing.authorised_activities}
    for index, sub in enumerate(c.subprocessing.subprocessors):
        for position, activity in enumerate(sub.activities):
            if activity.strip().lower().rstrip(" .;") not in allowed:
                yield (
                    ("subprocessing", "subprocessors", index, "activities", position),
                    f"l'activité « {activity} » du sous-traitant {sub.name or index + 1} n'est pas dans la liste "
                    "des activités autorisées",
                )


@check("K304")
def _delay_24(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    hours = c.notifications.breach_delay_hours
    if 24 < hours <= 72:
        yield (
            ("notifications", "breach_delay_hours"),
            f"délai de {hours} h : le modèle prévoit 24 h ; justifiez cet écart ou revenez à 24 h",
        )


@check("K305")
def _delay_72(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    hours = c.notifications.breach_delay_hours
    if hours > 72:
        yield (
            ("notifications", "breach_delay_hours"),
            f"délai de {hours} h : au-delà de 72 h le Département ne peut plus notifier la CNIL à temps ; "
            "ramenez-le à 24 h",
        )


@check("K306")
def _subprocessor_contract(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    end = c.period.end
    for index, sub in enumerate(c.subprocessing.subprocessors):
        if end and sub.contract_end and sub.contract_end < end:
            yield (
                ("subprocessing", "subprocessors", index, "contract_end"),
                f"le contrat du sous-traitant {sub.name or index + 1} finit le {sub.contract_end.isoformat()}, "
                f"avant la fin de la convention ({end.isoformat()})",
            )


@check("K307")
def _subprocessors_without_option(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.subprocessors and c.subprocessing.option is None:
        yield ("subprocessing", "option"), "des sous-traitants sont listés : choisissez l'option A ou B"


# --- risk ------------------------------------------------------------------------------------------

_SENSITIVE_WORDS = (
    r"(?i)\b(sant[ée]|m[ée]dica|handicap|addiction|toxicoman|alcool|psych|pathologi|maladie|"
    r"NIR|s[ée]curit[ée] sociale|condamnation|infraction|casier|judiciaire p[ée]nal|p[ée]nal|"
    r"origine|ethni|religi|syndica|orientation sexuelle|vie sexuelle|biom[ée]tri|g[ée]n[ée]tique)"
)
_HOSTING_WORDS = r"(?i)\b(h[ée]berg\w*|serveur|stockage en ligne|visio\w*|messagerie)"
_NOT_ARTICLE_9 = {SensitiveData.nir, SensitiveData.offences_and_convictions}
_PLATFORM_WORDS = (
    r"(?i)\b(plate-?forme|logiciel|extranet|application|outil "
    r"(?:num[ée]rique|informatique|départemental)|saas|cloud|base de données)"
)


@check("R401")
def _sensitive_option_1(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.processing.sensitive_data and c.security.option == 1:
        labels = ", ".join(s.label for s in c.processing.sensitive_data)
        yield (
            ("security", "option"),
            f"données sensibles ({labels}) avec l'option de sécurité 1 : préférez l'option 2 et réalisez une AIPD",
        )


@check("R402")
def _looks_sensitive(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.processing.sensitive_data:
        return
    for index, category in enumerate(c.processing.data_categories):
        match = re.search(_SENSITIVE_WORDS, category)
        if match:
            yield (
                ("processing", "data_categories", index),
                f"« {category} » semble sensible (« {match.group(0)} ») : complétez processing.sensitive_data, ou "
                "levez la règle avec une justification",
            )


@check("R403")
def _platform_option_1(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 1:
        return
    text = " ".join(filter(None, [c.processing.operations, c.processing.service]))
    match = re.search(_PLATFORM_WORDS, text)
    if match:
        yield (
            ("security", "option"),
            f"les opérations mentionnent « {match.group(0)} » : l'option de sécurité 2 convient mieux",
        )
        return
    for index, sub in enumerate(c.subprocessing.subprocessors):
        for position, activity in enumerate(sub.activities):
            match = re.search(_PLATFORM_WORDS, activity) or re.search(_HOSTING_WORDS, activity)
            if match:
                yield (
                    ("subprocessing", "subprocessors", index, "activities", position),
                    f"le sous-traitant {sub.name or index + 1} assure « {activity} » : une plateforme ou un "
                    "hébergement appelle l'option de sécurité 2",
                )
                return


def _article_9(c: Convention) -> list[SensitiveData]:
    return [s for s in c.processing.sensitive_data if s not in _NOT_ARTICLE_9]


@check("R404")
def _dpia(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    special = _article_9(c)
    dpia = c.processing.dpia
    if special and (dpia is None or (dpia.date is None and _empty(dpia.reference))):
        labels = ", ".join(s.label for s in special)
        yield (
            ("processing", "sensitive_data"),
            f"données sensibles ({labels}) dans un accompagnement social : l'AIPD est obligatoire (liste de la "
            "CNIL) ; indiquez sa date et sa référence (processing.dpia)",
        )


@check("R405")
def _sensitive_transfer(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.countries import country_name, has_adequacy

    if not c.processing.sensitive_data:
        return
    for index, transfer in enumerate(c.transfers):
        if transfer.country and not has_adequacy(transfer.country):
            yield (
                ("transfers", index, "country"),
                f"des données sensibles partent vers {country_name(transfer.country)}, pays sans décision "
                "d'adéquation : renforcez les garanties et traitez ce transfert dans l'AIPD",
            )


@check("R406")
def _option_b_without_subprocessor(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option == "B" and not [s for s in c.subprocessing.subprocessors if not _empty(s.name)]:
        yield (
            ("subprocessing", "subprocessors"),
            "option B (autorisation spécifique) : nommez les sous-traitants autorisés",
        )


@check("R407")
def _dpo_with_sensitive_data(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.processor_dpo_declared and c.processor.dpo is None and c.processing.sensitive_data:
        yield (
            ("processor", "dpo"),
            "la structure n'a pas de DPO alors qu'elle traite des données sensibles : si c'est son activité de "
            "base, à grande échelle, la désignation est obligatoire (art. 37-1-c RGPD)",
        )


# --- security annex of option 2 (issue 17): self-contained block, to move into the rule catalogue -----
# The packaged catalogue is used: a catalogue overridden with --templates is not seen by these rules.


#: The selection of the convention being checked (six rules read it): set and cleared by check_convention.
_SELECTIONS: dict[int, tuple[Convention, Any]] = {}


def _security_selection(c: Convention) -> Any:
    from dpa_kit.security import load_catalogue, select

    known = _SELECTIONS.get(id(c))
    if known is not None and known[0] is c:
        return known[1]
    catalogue = load_catalogue()
    return catalogue, select(c, catalogue)


_ANNEX_MEASURES: FieldPath = ("security", "annex_measures")


@check("S701")
def _excluded_without_reason(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    _, selection = _security_selection(c)
    for excluded in selection.excluded:
        if _empty(excluded.reason):
            yield (
                (*_ANNEX_MEASURES, "measures", excluded.id, "exclude"),
                f"la mesure {excluded.id} « {excluded.title} » est écartée sans motif : indiquez-le (reason) "
                "ou gardez la mesure",
            )


@check("S702")
def _measure_without_party(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    _, selection = _security_selection(c)
    for measure in selection.measures:
        if not measure.parties:
            added = c.security.annex_measures.added
            where = next((("added", i) for i, a in enumerate(added) if a.id == measure.id), ("measures", measure.id))
            yield (
                (*_ANNEX_MEASURES, *where, "responsible"),
                f"la mesure {measure.id} n'a pas de partie responsable : indiquez departement, structure, both "
                "ou subprocessor",
            )


@check("S703")
def _empty_security_annex(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option == 2 and not _security_selection(c)[1].measures:
        yield (
            _ANNEX_MEASURES,
            (
                "toutes les mesures de l'annexe Sécurité et Confidentialité sont écartées : gardez "
                "ou ajoutez les mesures convenues"
            ),
        )


@check("S704")
def _health_without_hds(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.security import conditions_of, hds_mentioned

    if conditions_of(c).health_hosting and not hds_mentioned(c):
        yield (
            ("security", "certification"),
            "des données de santé sont hébergées par un sous-traitant : mentionnez sa certification HDS "
            "(security.certification, les garanties du sous-traitant ou la note de la mesure HDS-01)",
        )


@check("S705")
def _unknown_measure(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    _, selection = _security_selection(c)
    for key in selection.unknown:
        yield (*_ANNEX_MEASURES, "measures", key), f"la mesure « {key} » n'existe pas dans le catalogue des mesures"


@check("S706")
def _added_without_text(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    catalogue, _ = _security_selection(c)
    known = catalogue.by_id()
    for index, added in enumerate(c.security.annex_measures.added):
        if added.id in known:
            continue
        for name in ("title", "text"):
            if _empty(getattr(added, name)):
                label = "le titre" if name == "title" else "le texte"
                yield (*_ANNEX_MEASURES, "added", index, name), f"la mesure ajoutée {added.id} n'a pas {label}"


@check("S707")
def _annex_measures_without_option_2(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    choices = c.security.annex_measures
    if c.security.option != 2 and (choices.measures or choices.added):
        yield (
            _ANNEX_MEASURES,
            (
                "l'annexe Sécurité et Confidentialité n'est produite qu'en option 2 : choisissez "
                "l'option 2 ou retirez ce bloc"
            ),
        )


@check("S708")
def _inapplicable_measure(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    _, selection = _security_selection(c)
    for key in selection.inapplicable:
        yield (
            (*_ANNEX_MEASURES, "measures", key),
            f"la mesure {key} ne s'applique pas à cette convention : ajoutez-la (added) pour la retenir, ou "
            "retirez sa personnalisation",
        )


# --- waivers ---------------------------------------------------------------------------------------


@check("W001")
def _bad_waivers(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    for code, reason in c.waivers.items():
        if code not in CHECKS:
            yield ("waivers", code), f"la règle « {code} » n'existe pas (dpa-kit rules les liste)"
        elif not reason.strip():
            yield ("waivers", code), f"la levée de {code} n'a pas de justification écrite"
        elif code == "W001":
            yield ("waivers", code), "la règle W001 ne peut pas être levée"


# --- the catalogue as the ``rules`` command of the CLI reads it -----------------------------------


def all_rules() -> list[Rule]:
    """The convention and folder rules, sorted by code (the document rules: ``rules(DOCUMENT)``)."""
    return [r for r in rules() if r.scope in {CONVENTION, FOLDER}]


def rule_table_markdown() -> str:
    """The table of the convention and folder rules (the README's table starts with it)."""
    lines = ["| code | severity | rule | explanation |", "|---|---|---|---|"]
    for current in all_rules():
        lines.append(f"| {current.code} | {current.severity.value} | {current.title} | {current.explanation} |")
    return "\n".join(lines)


# --- running ---------------------------------------------------------------------------------------


def check_convention(loaded: LoadedConvention) -> list[Finding]:
    """Apply every convention rule to one loaded convention."""
    convention = loaded.convention
    findings = []
    if convention.security.option == 2:
        _SELECTIONS[id(convention)] = (convention, _security_selection(convention))
    try:
        for code, apply in CHECKS.items():
            for path, message in apply(convention):
                findings.append(_finding(loaded, RULES[code], path, message))
    finally:
        _SELECTIONS.pop(id(convention), None)
    return findings


def _finding(loaded: LoadedConvention, current: Rule, path: FieldPath, message: str) -> Finding:
    file, line = loaded.source.locate(path)
    return Finding(
        code=current.code,
        severity=current.severity,
        file=str(file),
        line=line,
        field=_dotted(path) or None,
        message=message,
        convention=loaded.convention.id,
        waived=_waiver(loaded.convention, current.code),
    )


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_folder(conventions: list[LoadedConvention]) -> list[Finding]:
    """Rules across conventions: the same SIRET under different names, duplicate ids."""
    findings = []
    by_id: dict[str, list[LoadedConvention]] = defaultdict(list)
    by_siret: dict[str, list[LoadedConvention]] = defaultdict(list)
    for loaded in conventions:
        by_id[loaded.convention.id].append(loaded)
        if loaded.convention.processor.siret:
            by_siret[loaded.convention.processor.siret].append(loaded)
    for convention_id, group in by_id.items():
        if len(group) > 1:
            others = ", ".join(str(g.path.name) for g in group)
            for loaded in group:
                findings.append(
                    _finding(
                        loaded,
                        RULES["F502"],
                        ("id",),
                        f"l'identifiant « {convention_id} » est utilisé par plusieurs fichiers : {others}",
                    )
                )
    for siret, group in by_siret.items():
        names = {(g.convention.processor.name or "").strip().lower() for g in group}
        if len(names) > 1:
            listed = " ; ".join(f"{g.path.name} : {g.convention.processor.name}" for g in group)
            for loaded in group:
                findings.append(
                    _finding(
                        loaded,
                        RULES["F501"],
                        ("processor", "name"),
                        f"le SIRET {siret} est associé à des noms différents ({listed}) : harmonisez-les",
                    )
                )
    return findings


@dataclass
class Report:
    """The findings of a check run, with what decides the exit code."""

    findings: list[Finding]
    checked: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        active = [f for f in self.findings if not f.waived]
        return {s.value: sum(1 for f in active if f.severity is s) for s in Severity}

    def failed(self, strict: bool = False) -> bool:
        counts = self.counts()
        return counts["error"] > 0 or (strict and counts["warning"] > 0)


def check_conventions(conventions: list[LoadedConvention]) -> Report:
    """Check conventions one by one, then together."""
    findings: list[Finding] = []
    for loaded in conventions:
        findings.extend(check_convention(loaded))
    findings.extend(check_folder(conventions))
    findings.sort(key=lambda f: (f.file or "", f.line or 0, f.code))
    return Report(findings, [str(c.path) for c in conventions])


@dataclass
class Verdict:
    """Whether one convention may be signed: the one answer that ``check``, ``annex``, ``build``,
    ``status`` and the web dashboard all give.

    A convention is ready when no finding of severity *error* remains once waivers are applied, the
    answers the annex template needs (rule C122) included.
    """

    convention_id: str
    findings: list[Finding]

    @property
    def blocking(self) -> list[Finding]:
        """The findings that forbid the signature (errors not waived)."""
        return [f for f in self.findings if f.severity is Severity.error and not f.waived]

    @property
    def ready(self) -> bool:
        return not self.blocking

    def reasons(self) -> list[str]:
        """What stands in the way, one French line per blocking finding."""
        return [f"{f.code} {located(f.field) + ' : ' if f.field else ''}{f.message}" for f in self.blocking]


def verdict(subject: LoadedConvention | Convention) -> Verdict:
    """The readiness of one convention (located findings when given a loaded file)."""
    if isinstance(subject, LoadedConvention):
        return Verdict(subject.convention.id, check_convention(subject))
    convention = subject
    findings = [
        Finding(
            None,
            None,
            _dotted(path) or None,
            message,
            code=code,
            severity=RULES[code].severity,
            convention=convention.id,
            waived=_waiver(convention, code),
        )
        for code, apply in CHECKS.items()
        for path, message in apply(convention)
    ]
    return Verdict(convention.id, findings)


def _waiver(convention: Convention, code: str) -> str | None:
    reason = convention.waivers.get(code) if code != "W001" else None
    return reason.strip() if reason and reason.strip() else None


def findings_from_problems(problems: Iterable[Finding]) -> list[Finding]:
    """Load errors (malformed files, code L001) with their file named as text, as in every finding."""
    return [replace(p, file=str(p.file) if p.file else None) for p in problems]
