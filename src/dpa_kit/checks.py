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
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

from dpa_kit.loader import FieldPath, LoadedConvention
from dpa_kit.model import Convention, FateAction
from dpa_kit.placeholders import find_placeholders


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"

    @property
    def label(self) -> str:
        return {"error": "erreur", "warning": "avertissement", "info": "information"}[self.value]


@dataclass
class Finding:
    """One problem found by one rule."""

    code: str
    severity: Severity
    file: str | None
    line: int | None
    field: str | None
    message: str
    convention: str | None = None
    waived: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


@dataclass(frozen=True)
class Rule:
    """A check: its code, severity, French title and explanation, and the function that applies it."""

    code: str
    severity: Severity
    title: str
    explanation: str
    apply: Callable[[Convention], Iterable[tuple[FieldPath, str]]] = field(repr=False, compare=False)
    scope: str = "convention"  # or "folder" (applied to every convention of a folder together)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, title: str, explanation: str) -> Callable[[Any], Any]:
    def register(func: Callable[[Convention], Iterable[tuple[FieldPath, str]]]) -> Any:
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, severity, title, explanation, func)
        return func

    return register


ERROR, WARNING, INFO = Severity.error, Severity.warning, Severity.info
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list)) and not [v for v in ([value] if isinstance(value, str) else value) if str(v).strip()])


# --- completeness ----------------------------------------------------------------------------------

_REQUIRED: list[tuple[str, FieldPath, str, str]] = [
    ("C101", ("processing", "service"), "service", "le service fourni (processing.service)"),
    ("C102", ("processing", "operations"), "nature des opérations", "la nature des opérations (processing.operations)"),
    ("C103", ("processing", "purposes"), "finalités", "au moins une finalité (processing.purposes)"),
    ("C104", ("processing", "data_categories"), "catégories de données", "les catégories de données (processing.data_categories)"),
    ("C105", ("processing", "data_subjects"), "personnes concernées", "les catégories de personnes concernées (processing.data_subjects)"),
    ("C106", ("subprocessing", "option"), "option de sous-traitance", "l'option de sous-traitance : A (autorisation générale) ou B (autorisation spécifique)"),
    ("C109", ("security", "option"), "option de sécurité", "l'option de sécurité : 1 (échanges très limités, pas de plateforme) ou 2 (autres cas)"),
    ("C111", ("data_fate", "action"), "sort des données", "le sort des données : destroy, return_to_controller ou return_to_third_party"),
    ("C116", ("processor", "name"), "nom de la structure", "le nom de la structure (processor.name)"),
    ("C117", ("processor", "siret"), "SIRET de la structure", "le SIRET de la structure (processor.siret)"),
    ("C118", ("period", "start"), "début de la période", "la date de début de la convention (period.start)"),
    ("C119", ("period", "end"), "fin de la période", "la date de fin de la convention (period.end)"),
]


def _get(convention: Convention, path: FieldPath) -> Any:
    value: Any = convention
    for part in path:
        value = value[part] if isinstance(part, int) else getattr(value, part)
    return value


def _register_required(code: str, path: FieldPath, title: str, what: str) -> None:
    def apply(convention: Convention) -> Iterator[tuple[FieldPath, str]]:
        if _empty(_get(convention, path)):
            yield path, f"réponse manquante : indiquez {what}"

    RULES[code] = Rule(code, ERROR, f"Réponse obligatoire : {title}", f"L'annexe ne peut pas être signée sans {what}.", apply)


for _code, _path, _title, _what in _REQUIRED:
    _register_required(_code, _path, _title, _what)


@rule("C107", ERROR, "Option A sans délai d'objection",
      "En option A, le Département dispose d'un délai pour s'opposer à un nouveau sous-traitant ; ce délai doit être écrit.")
def _option_a_period(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option == "A" and _empty(c.subprocessing.objection_period):
        yield ("subprocessing", "objection_period"), "option A : indiquez le délai d'objection du Département (par exemple « 3 mois »)"


@rule("C108", ERROR, "Option B sans activité autorisée",
      "En option B, l'annexe liste les activités de traitement que la structure peut sous-traiter.")
def _option_b_activities(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option == "B" and _empty(c.subprocessing.authorised_activities):
        yield ("subprocessing", "authorised_activities"), "option B : listez au moins une activité sous-traitée autorisée"


@rule("C110", ERROR, "Option de sécurité 2 sans annexe de sécurité",
      "L'option 2 renvoie à une annexe « Sécurité et Confidentialité » à joindre et personnaliser.")
def _security_annex(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option == 2 and _empty(c.security.annex):
        yield ("security", "annex"), "option de sécurité 2 : indiquez la référence de l'annexe Sécurité et Confidentialité jointe"


@rule("C112", ERROR, "Renvoi à un tiers sans tiers désigné",
      "Si les données doivent être renvoyées à un tiers, l'annexe le nomme ou dit comment la structure sera informée.")
def _third_party(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    fate = c.data_fate
    if fate.action is FateAction.return_to_third_party and _empty(fate.third_party) and _empty(fate.third_party_information):
        yield ("data_fate", "third_party"), "nommez le tiers désigné par le Département (data_fate.third_party) ou les modalités d'information (data_fate.third_party_information)"


def _email_rule(code: str, path: FieldPath, what: str) -> None:
    def apply(c: Convention) -> Iterator[tuple[FieldPath, str]]:
        value = _get(c, path)
        if _empty(value):
            yield path, f"réponse manquante : indiquez {what}"
        elif not EMAIL.match(value):
            yield path, f"« {value} » n'est pas une adresse électronique valide ({what})"

    RULES[code] = Rule(code, ERROR, f"Adresse électronique : {what}",
                       f"L'annexe donne {what} ; ce doit être une adresse électronique valide.", apply)


_email_rule("C113", ("notifications", "breach_address"), "l'adresse de notification des violations")
_email_rule("C114", ("notifications", "rights_requests_address"), "l'adresse de transmission des demandes d'exercice des droits")


@rule("C115", ERROR, "DPO de la structure non renseigné",
      "Le fichier doit dire si la structure a désigné un délégué à la protection des données : ses coordonnées, ou « dpo: null » s'il n'y en a pas.")
def _processor_dpo(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if not c.processor_dpo_declared:
        yield ("processor",), "indiquez le délégué à la protection des données de la structure, ou écrivez « dpo: null » si elle n'en a pas désigné"
    elif c.processor.dpo is not None and _empty(c.processor.dpo.email) and _empty(c.processor.dpo.phone) and _empty(c.processor.dpo.address):
        yield ("processor", "dpo"), "donnez au moins un moyen de joindre le délégué à la protection des données (email, phone ou address)"


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


@rule("P201", ERROR, "Blanc ou consigne de rédaction dans une valeur",
      "Une valeur contient un blanc du modèle ([...], XX, A COMPLETER, « Nom dispositif »...) ou une consigne de rédaction.")
def _placeholders(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    for path, text in _strings(c, ()):
        if path and path[0] in {"notes", "waivers"}:
            continue
        for hit in find_placeholders(text):
            yield path, f"{hit.label} : « {hit.excerpt} » ; remplacez-le par la vraie valeur"


# --- consistency -----------------------------------------------------------------------------------


@rule("K301", ERROR, "Sous-traitant hors UE/EEE sans garanties",
      "Un sous-traitant établi hors de l'Union européenne et de l'EEE exige des garanties appropriées (art. 44 à 49 RGPD).")
def _subprocessor_outside(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.countries import country_name, is_eu_eea

    for index, sub in enumerate(c.subprocessing.subprocessors):
        if sub.country and not is_eu_eea(sub.country) and _empty(sub.safeguards):
            yield (("subprocessing", "subprocessors", index, "safeguards"),
                   f"le sous-traitant {sub.name or index + 1} est établi hors UE/EEE ({country_name(sub.country)}) : "
                   "indiquez les garanties (décision d'adéquation, clauses contractuelles types...)")


@rule("K302", ERROR, "Transfert hors UE/EEE sans garanties",
      "Tout transfert hors de l'Union européenne et de l'EEE doit reposer sur des garanties documentées (art. 44 à 49 RGPD).")
def _transfer_safeguards(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.countries import is_eu_eea

    for index, transfer in enumerate(c.transfers):
        if transfer.country and is_eu_eea(transfer.country):
            yield (("transfers", index, "country"),
                   f"{transfer.country} est dans l'UE/EEE : ce n'est pas un transfert hors UE, retirez-le de « transfers »")
        elif _empty(transfer.safeguards):
            yield (("transfers", index, "safeguards"),
                   "indiquez les garanties appropriées de ce transfert (décision d'adéquation, clauses types, BCR...)")


@rule("K303", ERROR, "Option B : activité sous-traitée non autorisée",
      "En option B, un sous-traitant ne peut mener que les activités listées dans authorised_activities.")
def _option_b_consistency(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.option != "B":
        return
    allowed = {a.strip().lower().rstrip(" .;") for a in c.subprocessing.authorised_activities}
    for index, sub in enumerate(c.subprocessing.subprocessors):
        for position, activity in enumerate(sub.activities):
            if activity.strip().lower().rstrip(" .;") not in allowed:
                yield (("subprocessing", "subprocessors", index, "activities", position),
                       f"l'activité « {activity} » du sous-traitant {sub.name or index + 1} n'est pas dans la liste des activités autorisées")


@rule("K304", WARNING, "Délai de notification supérieur à 24 heures",
      "Le modèle du Département prévoit 24 heures ; un délai plus long réduit le temps du Département pour notifier la CNIL.")
def _delay_24(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    hours = c.notifications.breach_delay_hours
    if 24 < hours <= 72:
        yield ("notifications", "breach_delay_hours"), f"délai de {hours} h : le modèle prévoit 24 h ; justifiez cet écart ou revenez à 24 h"


@rule("K305", ERROR, "Délai de notification supérieur à 72 heures",
      "Le Département dispose lui-même de 72 heures pour notifier la CNIL (art. 33 RGPD) : le délai de la structure doit être plus court.")
def _delay_72(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    hours = c.notifications.breach_delay_hours
    if hours > 72:
        yield ("notifications", "breach_delay_hours"), f"délai de {hours} h : au-delà de 72 h le Département ne peut plus notifier la CNIL à temps ; ramenez-le à 24 h"


@rule("K306", WARNING, "Contrat de sous-traitance terminé avant la convention",
      "Le contrat d'un sous-traitant s'arrête avant la fin de la convention : qui prendra le relais ?")
def _subprocessor_contract(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    end = c.period.end
    for index, sub in enumerate(c.subprocessing.subprocessors):
        if end and sub.contract_end and sub.contract_end < end:
            yield (("subprocessing", "subprocessors", index, "contract_end"),
                   f"le contrat du sous-traitant {sub.name or index + 1} finit le {sub.contract_end.isoformat()}, avant la fin de la convention ({end.isoformat()})")


@rule("K307", WARNING, "Sous-traitants déclarés sans option de sous-traitance",
      "Des sous-traitants sont listés mais l'option A ou B n'est pas choisie.")
def _subprocessors_without_option(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.subprocessing.subprocessors and c.subprocessing.option is None:
        yield ("subprocessing", "option"), "des sous-traitants sont listés : choisissez l'option A ou B"


# --- risk ------------------------------------------------------------------------------------------

_SENSITIVE_WORDS = re.compile(
    r"(?i)\b(sant[ée]|m[ée]dica|handicap|addiction|toxicoman|alcool|psych|pathologi|maladie|"
    r"NIR|s[ée]curit[ée] sociale|condamnation|infraction|casier|judiciaire p[ée]nal|p[ée]nal|"
    r"origine|ethni|religi|syndica|orientation sexuelle|vie sexuelle|biom[ée]tri|g[ée]n[ée]tique)"
)
_PLATFORM_WORDS = re.compile(r"(?i)\b(plate-?forme|logiciel|extranet|application|outil (?:num[ée]rique|informatique|départemental)|saas|cloud|base de données)")


@rule("R401", WARNING, "Données sensibles avec l'option de sécurité 1",
      "L'option 1 vise des échanges très limités sans plateforme ; des données sensibles appellent l'option 2 et une analyse d'impact (AIPD).")
def _sensitive_option_1(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.processing.sensitive_data and c.security.option == 1:
        labels = ", ".join(s.label for s in c.processing.sensitive_data)
        yield ("security", "option"), f"données sensibles ({labels}) avec l'option de sécurité 1 : préférez l'option 2 et réalisez une AIPD"


@rule("R402", WARNING, "Catégories de données qui semblent sensibles",
      "Une catégorie de données évoque une donnée sensible (santé, handicap, NIR, condamnations, origine...) mais sensitive_data est vide.")
def _looks_sensitive(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.processing.sensitive_data:
        return
    for index, category in enumerate(c.processing.data_categories):
        match = _SENSITIVE_WORDS.search(category)
        if match:
            yield (("processing", "data_categories", index),
                   f"« {category} » semble sensible (« {match.group(0)} ») : complétez processing.sensitive_data, ou levez la règle avec une justification")


@rule("R403", WARNING, "Option de sécurité 1 alors qu'une plateforme est utilisée",
      "L'option 1 suppose l'absence de plateforme informatique ; les opérations mentionnent une plateforme, un logiciel ou un extranet.")
def _platform_option_1(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 1:
        return
    text = " ".join(filter(None, [c.processing.operations, c.processing.service]))
    match = _PLATFORM_WORDS.search(text)
    if match:
        yield ("security", "option"), f"les opérations mentionnent « {match.group(0)} » : l'option de sécurité 2 convient mieux"


@rule("R404", INFO, "Données sensibles : AIPD recommandée",
      "Le traitement de données sensibles de personnes vulnérables justifie une analyse d'impact (AIPD) avant la signature.")
def _dpia(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.processing.sensitive_data and c.security.option != 1:
        labels = ", ".join(s.label for s in c.processing.sensitive_data)
        yield ("processing", "sensitive_data"), f"données sensibles ({labels}) : vérifiez qu'une AIPD a été réalisée"


# --- security annex of option 2 (issue 17): self-contained block, to move into the rule catalogue -----
# The packaged catalogue is used: a catalogue overridden with --templates is not seen by these rules.


def _security_selection(c: Convention) -> Any:
    from dpa_kit.security import load_catalogue, select

    catalogue = load_catalogue()
    return catalogue, select(c, catalogue)


_ANNEX_MEASURES: FieldPath = ("security", "annex_measures")


@rule("S701", ERROR, "Mesure de sécurité applicable écartée sans motif",
      "Une mesure de l'annexe Sécurité et Confidentialité qui s'applique à la convention ne peut être écartée qu'avec un motif écrit.")
def _excluded_without_reason(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    _, selection = _security_selection(c)
    for excluded in selection.excluded:
        if _empty(excluded.reason):
            yield ((*_ANNEX_MEASURES, "measures", excluded.id, "exclude"),
                   f"la mesure {excluded.id} « {excluded.title} » est écartée sans motif : indiquez-le (reason) ou gardez la mesure")


@rule("S702", ERROR, "Mesure de sécurité sans partie responsable",
      "Chaque mesure de l'annexe Sécurité et Confidentialité dit qui la met en œuvre : le Département, la structure, les deux ou le sous-traitant.")
def _measure_without_party(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    _, selection = _security_selection(c)
    for measure in selection.measures:
        if not measure.parties:
            where = next((("added", i) for i, a in enumerate(c.security.annex_measures.added) if a.id == measure.id),
                         ("measures", measure.id))
            yield ((*_ANNEX_MEASURES, *where, "responsible"),
                   f"la mesure {measure.id} n'a pas de partie responsable : indiquez departement, structure, both ou subprocessor")


@rule("S703", ERROR, "Option de sécurité 2 sans aucune mesure",
      "En option 2, l'annexe Sécurité et Confidentialité liste les mesures convenues ; elle ne peut pas être vide.")
def _empty_security_annex(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option == 2 and not _security_selection(c)[1].measures:
        yield _ANNEX_MEASURES, "toutes les mesures de l'annexe Sécurité et Confidentialité sont écartées : gardez ou ajoutez les mesures convenues"


@rule("S704", WARNING, "Données de santé hébergées par un tiers sans certification HDS",
      "Un hébergeur de données de santé pour le compte d'un tiers doit être certifié HDS (code de la santé publique, art. L. 1111-8).")
def _health_without_hds(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    from dpa_kit.security import conditions_of, hds_mentioned

    if conditions_of(c).health_hosting and not hds_mentioned(c):
        yield (("security", "certification"),
               "des données de santé sont hébergées par un sous-traitant : mentionnez sa certification HDS "
               "(security.certification, les garanties du sous-traitant ou la note de la mesure HDS-01)")


@rule("S705", ERROR, "Personnalisation d'une mesure de sécurité inconnue",
      "La personnalisation vise une mesure absente du catalogue et des mesures ajoutées : une faute de frappe la rendrait sans effet.")
def _unknown_measure(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    if c.security.option != 2:
        return
    catalogue, selection = _security_selection(c)
    for key in selection.unknown:
        yield (*_ANNEX_MEASURES, "measures", key), f"la mesure « {key} » n'existe pas dans le catalogue des mesures de sécurité"


@rule("S706", ERROR, "Mesure de sécurité ajoutée sans titre ou sans texte",
      "Une mesure ajoutée qui n'est pas dans le catalogue doit avoir un titre et un texte.")
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


@rule("S707", WARNING, "Annexe de sécurité personnalisée hors option 2",
      "La personnalisation de l'annexe Sécurité et Confidentialité n'a d'effet qu'avec l'option de sécurité 2.")
def _annex_measures_without_option_2(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    choices = c.security.annex_measures
    if c.security.option != 2 and (choices.measures or choices.added):
        yield _ANNEX_MEASURES, "l'annexe Sécurité et Confidentialité n'est produite qu'en option 2 : choisissez l'option 2 ou retirez ce bloc"


# --- waivers ---------------------------------------------------------------------------------------


@rule("W001", WARNING, "Levée d'une règle inconnue ou sans justification",
      "Une levée (waivers) doit viser un code de règle existant et donner une justification écrite.")
def _bad_waivers(c: Convention) -> Iterator[tuple[FieldPath, str]]:
    for code, reason in c.waivers.items():
        if code not in RULES:
            yield ("waivers", code), f"la règle « {code} » n'existe pas (dpa-kit rules les liste)"
        elif not reason.strip():
            yield ("waivers", code), f"la levée de {code} n'a pas de justification écrite"
        elif code == "W001":
            yield ("waivers", code), "la règle W001 ne peut pas être levée"


# --- folder rules ----------------------------------------------------------------------------------

FOLDER_RULES = {
    "F501": Rule("F501", ERROR, "Même SIRET sous des noms différents",
                 "Deux conventions donnent le même SIRET avec des noms de structure différents.", lambda c: ()),
    "F502": Rule("F502", ERROR, "Identifiant de convention en double",
                 "Deux fichiers portent le même identifiant : le journal et les noms de fichiers les confondraient.", lambda c: ()),
}


def all_rules() -> list[Rule]:
    """Every rule, convention and folder rules, sorted by code."""
    return sorted([*RULES.values(), *FOLDER_RULES.values()], key=lambda r: r.code)


# --- running ---------------------------------------------------------------------------------------


def check_convention(loaded: LoadedConvention) -> list[Finding]:
    """Apply every convention rule to one loaded convention."""
    convention = loaded.convention
    findings = []
    for current in RULES.values():
        for path, message in current.apply(convention):
            findings.append(_finding(loaded, current, path, message))
    return findings


def _finding(loaded: LoadedConvention, current: Rule, path: FieldPath, message: str) -> Finding:
    file, line = loaded.source.locate(path)
    waiver = loaded.convention.waivers.get(current.code) if current.code != "W001" else None
    return Finding(
        code=current.code,
        severity=current.severity,
        file=str(file),
        line=line,
        field=_dotted(path) or None,
        message=message,
        convention=loaded.convention.id,
        waived=waiver.strip() if waiver and waiver.strip() else None,
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
                findings.append(_finding(loaded, FOLDER_RULES["F502"], ("id",),
                                         f"l'identifiant « {convention_id} » est utilisé par plusieurs fichiers : {others}"))
    for siret, group in by_siret.items():
        names = {(g.convention.processor.name or "").strip().lower() for g in group}
        if len(names) > 1:
            listed = " ; ".join(f"{g.path.name} : {g.convention.processor.name}" for g in group)
            for loaded in group:
                findings.append(_finding(loaded, FOLDER_RULES["F501"], ("processor", "name"),
                                         f"le SIRET {siret} est associé à des noms différents ({listed}) : harmonisez-les"))
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


FINDINGS_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "dpa-kit check --format json",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "severity", "file", "line", "field", "message", "waived"],
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z][0-9]{3}$"},
            "severity": {"enum": ["error", "warning", "info"]},
            "file": {"type": ["string", "null"]},
            "line": {"type": ["integer", "null"], "minimum": 1},
            "field": {"type": ["string", "null"]},
            "message": {"type": "string", "minLength": 1},
            "convention": {"type": ["string", "null"]},
            "waived": {"type": ["string", "null"], "description": "the written justification when the rule is waived"},
        },
        "additionalProperties": False,
    },
}


def findings_from_problems(problems: Iterable[Any]) -> list[Finding]:
    """Load errors (malformed files) as findings with code L001, so JSON output lists them too."""
    return [
        Finding("L001", ERROR, str(p.file) if p.file else None, p.line, p.field, p.message)
        for p in problems
    ]


def rule_table_markdown() -> str:
    """The README's rule table, generated from the rules (a test keeps the two in step)."""
    lines = ["| code | severity | rule | explanation |", "|---|---|---|---|"]
    for current in all_rules():
        lines.append(f"| {current.code} | {current.severity.value} | {current.title} | {current.explanation} |")
    return "\n".join(lines)


