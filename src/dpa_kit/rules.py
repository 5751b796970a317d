"""The one catalogue of check rules, and the one type of finding they produce.

A rule has a stable code, a severity, a scope (what it looks at: one convention, a whole folder of
conventions, or a document before signature) and a French title and explanation, which
``dpa-kit rules`` and the README table show. How each rule is applied lives with its scope:
:mod:`dpa_kit.checks` for conventions and folders, :mod:`dpa_kit.doccheck` for documents. A file that
cannot be read at all is reported under the rule ``L001``.

A :class:`Finding` is one problem in one place (file, line, field), found by one rule; a malformed
file gives findings of code ``L001`` (built by :func:`problem`, carried by ``ConventionError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from dpa_kit.labels import label, located

__all__ = [
    "CONVENTION",
    "DOCUMENT",
    "EMAIL_ADDRESSES",
    "ERROR",
    "FINDINGS_JSON_SCHEMA",
    "FOLDER",
    "INFO",
    "LOAD_ERROR",
    "REQUIRED_ANSWERS",
    "RULES",
    "WARNING",
    "Finding",
    "Level",
    "Rule",
    "Scope",
    "Severity",
    "problem",
    "rule_rows",
    "rule_table_markdown",
    "rules",
]


class Severity(str, Enum):
    """How serious a finding is: an error blocks the signature, a warning asks for a look."""

    error = "error"
    warning = "warning"
    info = "info"

    @property
    def label(self) -> str:
        return {"error": "erreur", "warning": "avertissement", "info": "information"}[self.value]


#: The severity of a rule, also called its level.
Level = Severity
ERROR, WARNING, INFO = Severity.error, Severity.warning, Severity.info

Scope = Literal["convention", "folder", "document"]
CONVENTION: Scope = "convention"
FOLDER: Scope = "folder"
DOCUMENT: Scope = "document"

#: The code of the findings for a file that cannot be read (syntax, type, unknown key...).
LOAD_ERROR = "L001"


@dataclass(frozen=True)
class Rule:
    """A check: its code, severity, scope, and French title and explanation."""

    code: str
    severity: Severity
    scope: Scope
    title: str
    explanation: str

    @property
    def level(self) -> Severity:
        return self.severity


# The answers without which the annex cannot be signed: code -> (short title, what is missing).
REQUIRED_ANSWERS: dict[str, tuple[str, str]] = {
    "C101": ("service", "le service fourni (processing.service)"),
    "C102": ("nature des opérations", "la nature des opérations (processing.operations)"),
    "C103": ("finalités", "au moins une finalité (processing.purposes)"),
    "C104": ("catégories de données", "les catégories de données (processing.data_categories)"),
    "C105": ("personnes concernées", "les catégories de personnes concernées (processing.data_subjects)"),
    "C106": (
        "option de sous-traitance",
        "l'option de sous-traitance : A (autorisation générale) ou B (autorisation spécifique)",
    ),
    "C109": (
        "option de sécurité",
        "l'option de sécurité : 1 (échanges très limités, pas de plateforme) ou 2 (autres cas)",
    ),
    "C111": (
        "sort des données",
        "le sort des données (data_fate.action) : destroy pour détruire, return_to_controller pour "
        "renvoyer au Département, return_to_third_party pour renvoyer à un tiers",
    ),
    "C116": ("nom de la structure", "le nom de la structure (processor.name)"),
    "C117": ("SIRET de la structure", "le SIRET de la structure (processor.siret)"),
    "C118": ("début de la période", "la date de début de la convention (period.start)"),
    "C119": ("fin de la période", "la date de fin de la convention (period.end)"),
}

# The e-mail addresses the annex gives: code -> what the address is for.
EMAIL_ADDRESSES: dict[str, str] = {
    "C113": "l'adresse de notification des violations",
    "C114": "l'adresse de transmission des demandes d'exercice des droits",
}


def _catalogue() -> list[Rule]:
    required = [
        Rule(
            code, ERROR, CONVENTION, f"Réponse obligatoire : {title}", f"L'annexe ne peut pas être signée sans {what}."
        )
        for code, (title, what) in REQUIRED_ANSWERS.items()
    ]
    emails = [
        Rule(
            code,
            ERROR,
            CONVENTION,
            f"Adresse électronique : {what}",
            f"L'annexe donne {what} ; ce doit être une adresse électronique valide.",
        )
        for code, what in EMAIL_ADDRESSES.items()
    ]
    return [*required, *emails, *_OTHERS]


_OTHERS = [
    Rule(
        "C107",
        ERROR,
        CONVENTION,
        "Option A sans délai d'objection",
        "En option A, le Département dispose d'un délai pour s'opposer à un nouveau sous-traitant ; ce délai doit "
        "être écrit.",
    ),
    Rule(
        "C108",
        ERROR,
        CONVENTION,
        "Option B sans activité autorisée",
        "En option B, l'annexe liste les activités de traitement que la structure peut sous-traiter.",
    ),
    Rule(
        "C110",
        ERROR,
        CONVENTION,
        "Option de sécurité 2 sans annexe de sécurité",
        "L'option 2 renvoie à une annexe « Sécurité et Confidentialité » à joindre et personnaliser.",
    ),
    Rule(
        "C112",
        ERROR,
        CONVENTION,
        "Renvoi à un tiers sans tiers désigné",
        "Si les données doivent être renvoyées à un tiers, l'annexe le nomme ou dit comment la structure sera "
        "informée.",
    ),
    Rule(
        "C115",
        ERROR,
        CONVENTION,
        "DPO de la structure non renseigné",
        "Le fichier doit dire si la structure a désigné un délégué à la protection des données : ses coordonnées, "
        "ou « dpo: null » s'il n'y en a pas.",
    ),
    Rule(
        "C120",
        ERROR,
        CONVENTION,
        "Représentant sans nom",
        "L'annexe est signée par les représentants des deux parties : le nom du représentant du Département et "
        "celui de la structure sont obligatoires.",
    ),
    Rule(
        "C121",
        ERROR,
        CONVENTION,
        "Option de sécurité 2 sans répartition des responsabilités",
        "Avec l'option 2, l'article 32 RGPD fait porter la sécurité sur les deux parties : l'annexe dit qui fait "
        "quoi (la matrice de l'annexe Sécurité et Confidentialité, ou security.responsibilities) au lieu de la "
        "recommandation de rédaction du modèle.",
    ),
    Rule(
        "C122",
        ERROR,
        CONVENTION,
        "Réponse demandée par le texte de l'annexe",
        "Le modèle de l'annexe a besoin de cette valeur pour produire une clause complète (un blanc ne se signe "
        "jamais).",
    ),
    Rule(
        "P201",
        ERROR,
        CONVENTION,
        "Blanc ou consigne de rédaction dans une valeur",
        "Une valeur contient un blanc du modèle ([...], XX, A COMPLETER, « Nom dispositif »...) ou une consigne de "
        "rédaction.",
    ),
    Rule(
        "K301",
        ERROR,
        CONVENTION,
        "Sous-traitant hors UE/EEE sans transfert déclaré",
        "Un sous-traitant établi hors de l'Union européenne et de l'EEE est un transfert : il figure dans "
        "« transfers » (même pays, destinataire à son nom) avec ses garanties (art. 44 à 49 RGPD).",
    ),
    Rule(
        "K302",
        ERROR,
        CONVENTION,
        "Transfert hors UE/EEE sans garanties",
        "Tout transfert hors de l'Union européenne et de l'EEE doit reposer sur des garanties documentées (art. 44 "
        "à 49 RGPD).",
    ),
    Rule(
        "K303",
        ERROR,
        CONVENTION,
        "Option B : activité sous-traitée non autorisée",
        "En option B, un sous-traitant ne peut mener que les activités listées dans authorised_activities.",
    ),
    Rule(
        "K304",
        WARNING,
        CONVENTION,
        "Délai de notification supérieur à 24 heures",
        "Le modèle du Département prévoit 24 heures ; un délai plus long réduit le temps du Département pour "
        "notifier la CNIL.",
    ),
    Rule(
        "K305",
        ERROR,
        CONVENTION,
        "Délai de notification supérieur à 72 heures",
        "Le Département dispose lui-même de 72 heures pour notifier la CNIL (art. 33 RGPD) : le délai de la "
        "structure doit être plus court.",
    ),
    Rule(
        "K306",
        WARNING,
        CONVENTION,
        "Contrat de sous-traitance terminé avant la convention",
        "Le contrat d'un sous-traitant s'arrête avant la fin de la convention : qui prendra le relais ?",
    ),
    Rule(
        "K307",
        WARNING,
        CONVENTION,
        "Sous-traitants déclarés sans option de sous-traitance",
        "Des sous-traitants sont listés mais l'option A ou B n'est pas choisie.",
    ),
    Rule(
        "K308",
        ERROR,
        CONVENTION,
        "Garanties qui ne disent rien",
        "« n/a », « - », « aucune », « néant », « sans objet »... ne sont pas des garanties : nommez la décision "
        "d'adéquation, les clauses contractuelles types, les BCR ou la dérogation de l'article 49.",
    ),
    Rule(
        "R401",
        WARNING,
        CONVENTION,
        "Données sensibles avec l'option de sécurité 1",
        "L'option 1 vise des échanges très limités sans plateforme ; des données sensibles appellent l'option 2 et "
        "une analyse d'impact (AIPD).",
    ),
    Rule(
        "R402",
        WARNING,
        CONVENTION,
        "Catégories de données qui semblent sensibles",
        "Une catégorie de données évoque une donnée sensible (santé, handicap, NIR, condamnations, origine...) mais"
        " sensitive_data est vide.",
    ),
    Rule(
        "R403",
        WARNING,
        CONVENTION,
        "Option de sécurité 1 alors qu'une plateforme est utilisée",
        "L'option 1 suppose l'absence de plateforme informatique ; les opérations ou les activités d'un "
        "sous-traitant mentionnent une plateforme, un logiciel, un hébergement ou un extranet.",
    ),
    Rule(
        "R404",
        WARNING,
        CONVENTION,
        "Données sensibles sans analyse d'impact (AIPD)",
        "Des données de santé ou d'autres catégories particulières (art. 9 RGPD) traitées dans un accompagnement "
        "social ou médico-social : la liste de la CNIL rend l'AIPD obligatoire ; indiquez-la (processing.dpia).",
    ),
    Rule(
        "R405",
        WARNING,
        CONVENTION,
        "Données sensibles transférées vers un pays sans adéquation",
        "Des catégories particulières de données partent vers un pays sans décision d'adéquation : les garanties "
        "doivent être renforcées et l'AIPD doit en traiter.",
    ),
    Rule(
        "R406",
        WARNING,
        CONVENTION,
        "Option B sans sous-traitant nommé",
        "L'option B est une autorisation spécifique : les sous-traitants autorisés sont normalement nommés.",
    ),
    Rule(
        "R407",
        WARNING,
        CONVENTION,
        "Pas de DPO alors que des données sensibles sont traitées",
        "Une structure dont l'activité de base traite à grande échelle des catégories particulières de données "
        "doit désigner un délégué à la protection des données (art. 37-1-c RGPD).",
    ),
    # security annex of option 2 (issue 17)
    Rule(
        "S701",
        ERROR,
        CONVENTION,
        "Mesure de sécurité applicable écartée sans motif",
        "Une mesure de l'annexe Sécurité et Confidentialité qui s'applique à la convention ne peut être écartée "
        "qu'avec un motif écrit.",
    ),
    Rule(
        "S702",
        ERROR,
        CONVENTION,
        "Mesure de sécurité sans partie responsable",
        "Chaque mesure de l'annexe Sécurité et Confidentialité dit qui la met en œuvre : le Département, la "
        "structure, les deux ou le sous-traitant.",
    ),
    Rule(
        "S703",
        ERROR,
        CONVENTION,
        "Option de sécurité 2 sans aucune mesure",
        "En option 2, l'annexe Sécurité et Confidentialité liste les mesures convenues ; elle ne peut pas être vide.",
    ),
    Rule(
        "S704",
        WARNING,
        CONVENTION,
        "Données de santé hébergées par un tiers sans certification HDS",
        "Un hébergeur de données de santé pour le compte d'un tiers doit être certifié HDS (code de la santé "
        "publique, art. L. 1111-8).",
    ),
    Rule(
        "S705",
        ERROR,
        CONVENTION,
        "Personnalisation d'une mesure de sécurité inconnue",
        "La personnalisation vise une mesure absente du catalogue et des mesures ajoutées : une faute de frappe la "
        "rendrait sans effet.",
    ),
    Rule(
        "S706",
        ERROR,
        CONVENTION,
        "Mesure de sécurité ajoutée sans titre ou sans texte",
        "Une mesure ajoutée qui n'est pas dans le catalogue doit avoir un titre et un texte.",
    ),
    Rule(
        "S707",
        WARNING,
        CONVENTION,
        "Annexe de sécurité personnalisée hors option 2",
        "La personnalisation de l'annexe Sécurité et Confidentialité n'a d'effet qu'avec l'option de sécurité 2.",
    ),
    Rule(
        "S708",
        WARNING,
        CONVENTION,
        "Personnalisation d'une mesure de sécurité qui ne s'applique pas",
        "Une mesure du catalogue personnalisée (note, responsable) ne s'applique pas à la convention et n'est pas "
        "ajoutée : elle n'apparaît pas dans l'annexe.",
    ),
    Rule(
        "W001",
        WARNING,
        CONVENTION,
        "Levée d'une règle inconnue ou sans justification",
        "Une levée (waivers) doit viser un code de règle existant et donner une justification écrite.",
    ),
    Rule(
        "F501",
        ERROR,
        FOLDER,
        "Même SIRET sous des noms différents",
        "Deux conventions donnent le même SIRET avec des noms de structure différents.",
    ),
    Rule(
        "F502",
        ERROR,
        FOLDER,
        "Identifiant de convention en double",
        "Deux fichiers portent le même identifiant : le journal et les noms de fichiers les confondraient.",
    ),
    Rule(
        "D601",
        ERROR,
        DOCUMENT,
        "Blanc ou consigne de rédaction dans le document",
        "Le document contient un blanc du modèle ou une consigne de rédaction.",
    ),
    Rule(
        "D602",
        ERROR,
        DOCUMENT,
        "Réponse vide dans le document",
        "Une phrase « ... sont : » n'est suivie d'aucune réponse.",
    ),
    Rule(
        "D603",
        ERROR,
        DOCUMENT,
        "Clause modifiée ou supprimée",
        "Une clause de l'annexe que produit la convention ne figure plus telle quelle dans le document (--convention).",
    ),
    Rule(
        "D604",
        WARNING,
        DOCUMENT,
        "Paragraphe ajouté",
        "Le document contient un paragraphe que l'annexe produite par dpa-kit n'a pas (--convention ; pas pour les "
        "PDF).",
    ),
    Rule(
        "L001",
        ERROR,
        DOCUMENT,
        "Fichier de convention invalide",
        "Le fichier ne peut pas être lu (syntaxe YAML, type, clé inconnue, SIRET, date...) : corrigez-le d'abord.",
    ),
]

#: Every rule, by code.
RULES: dict[str, Rule] = {}
for _rule in _catalogue():
    if _rule.code in RULES:
        raise ValueError(f"duplicate rule code {_rule.code}")
    RULES[_rule.code] = _rule


def rules(scope: Scope | None = None) -> list[Rule]:
    """The rules of one scope (all of them by default), sorted by code."""
    return sorted((r for r in RULES.values() if scope is None or r.scope == scope), key=lambda r: r.code)


def rule_rows() -> list[tuple[str, str, str, str]]:
    """Every rule as (code, severity, title, explanation), sorted by code (``dpa-kit rules``)."""
    return [(r.code, r.severity.value, r.title, r.explanation) for r in rules()]


def rule_table_markdown() -> str:
    """The README's rule table (``dpa-kit rules --format markdown``); a test keeps the two in step.

    Convention and folder rules come first, sorted by code, then the document rules and ``L001``.
    """
    lines = ["| code | severity | rule | explanation |", "|---|---|---|---|"]
    checked = sorted((r for r in RULES.values() if r.scope != DOCUMENT), key=lambda r: r.code)
    documents = [r for r in RULES.values() if r.scope == DOCUMENT]
    for current in [*checked, *documents]:
        lines.append(f"| {current.code} | {current.severity.value} | {current.title} | {current.explanation} |")
    return "\n".join(lines)


# --- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule, located as precisely as we can (file, line, field).

    Built positionally as ``Finding(file, line, field, message)`` it is a problem of a file that cannot
    be read (rule ``L001``, an error), which is what ``ConventionError`` carries.
    """

    file: Path | str | None
    line: int | None
    field: str | None
    message: str
    code: str = LOAD_ERROR
    severity: Severity = ERROR
    convention: str | None = None
    waived: str | None = None

    @property
    def level(self) -> Severity:
        return self.severity

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"ligne {self.line}")
        prefix = ", ".join(where)
        field = f"{located(self.field)} : " if self.field else ""
        return f"{prefix} : {field}{self.message}" if prefix else f"{field}{self.message}"

    def as_json(self) -> dict[str, Any]:
        """The finding as in ``dpa-kit check --format json`` (see :data:`FINDINGS_JSON_SCHEMA`)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": None if self.file is None else str(self.file),
            "line": self.line,
            "field": self.field,
            "label": label(self.field) if self.field else None,
            "message": self.message,
            "convention": self.convention,
            "waived": self.waived,
        }


def problem(file: Path | str | None, line: int | None, field: str | None, message: str) -> Finding:
    """A problem of a file that cannot be read (rule ``L001``)."""
    return Finding(file, line, field, message)


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
            "label": {"type": ["string", "null"], "description": "the field's French label (dpa_kit.labels)"},
            "message": {"type": "string", "minLength": 1},
            "convention": {"type": ["string", "null"]},
            "waived": {"type": ["string", "null"], "description": "the written justification when the rule is waived"},
        },
        "additionalProperties": False,
    },
}
