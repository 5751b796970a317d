"""The ENISA severity of a breach from a form: the same French choices as ``dpa-kit breach severity``.

The answers are checked field by field (French messages tied to each field); the score and the band come
from :func:`dpa_kit.breach.assess`, the one implementation of the ENISA 2013 method, and are recorded by
:func:`dpa_kit.breach.record_severity` with the same inputs as the command line records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dpa_kit.breach import (
    CB_NAMES_FR,
    DPC_NAMES_FR,
    EI_NAMES_FR,
    Breach,
    Severity,
    assess,
    severity_label,
)
from dpa_kit.breach_forms import FormErrors

__all__ = [
    "SEVERITY_CHOICES",
    "SEVERITY_HINTS",
    "SEVERITY_LABELS",
    "Assessment",
    "check_severity",
    "form_values",
    "recorded",
]

#: The question of each field, as the command line asks it.
SEVERITY_LABELS = {
    "dpc": "Contexte du traitement (DPC)",
    "dpc_adjust": "Ajustement du contexte (de -1 à +1)",
    "ei": "Facilité d'identification des personnes",
    "confidentiality": "Perte de confidentialité",
    "integrity": "Perte d'intégrité",
    "availability": "Perte de disponibilité",
    "malicious": "Intention malveillante",
}

#: What the ENISA terms mean, under the severity form's fields and in ``dpa-kit breach severity``'s help and
#: questions.
SEVERITY_HINTS = {
    "dpc": (
        "DPC (« Data Processing Context », contexte du traitement dans la méthode de l'ENISA) : la nature des "
        "données en cause. 1 simple (état civil, coordonnées, parcours scolaire…) ; 2 comportemental "
        "(habitudes, localisation, préférences…) ; 3 financier (revenus, aides sociales, coordonnées "
        "bancaires…) ; 4 sensible (santé, opinions, vie sexuelle, infractions : art. 9 et 10 RGPD)."
    ),
    "dpc_adjust": (
        "Facultatif, de -1 à +1 (par exemple 0,5 ou -0,25) : corrige le contexte pour ce que la seule nature "
        "des données ne dit pas. Plus, si le volume, la vulnérabilité des personnes (mineurs, personnes "
        "aidées) ou l'usage possible aggravent la situation ; moins, si les données étaient déjà publiques "
        "ou peu exploitables. Le contexte retenu reste entre 1 et 4."
    ),
    "ei": (
        "Avec quelle facilité on peut retrouver qui sont les personnes à partir des données : négligeable, "
        "limitée, importante ou maximale (nom et adresse, par exemple)."
    ),
}

#: The answers offered for each choice: stored value -> French name.
SEVERITY_CHOICES: dict[str, dict[str, str]] = {
    "dpc": {str(level): f"{level} : {name}" for level, name in DPC_NAMES_FR.items()},
    "ei": dict(EI_NAMES_FR),
    **{name: dict(names) for name, names in CB_NAMES_FR.items()},
    "malicious": {"non": "non", "oui": "oui"},
}


@dataclass(frozen=True)
class Assessment:
    """A checked form: the ENISA result and the inputs recorded with it (as the command line records them)."""

    severity: Severity
    inputs: dict[str, Any]

    @property
    def label(self) -> str:
        """« Gravité : élevée »."""
        return severity_label(self.severity.band)


def _adjustment(text: str) -> float | None:
    """« 0,5 », « -1 », « +0.25 » as a number from -1 to +1; empty is 0; None when it is not one."""
    text = text.strip().replace(",", ".").replace("\u2212", "-")
    if not text:
        return 0.0
    if len(text) > 20:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if -1 <= value <= 1 else None


def check_severity(values: dict[str, Any]) -> Assessment:
    """The assessment from the form's ``values`` (stored keys as in :data:`SEVERITY_CHOICES`); raises
    :class:`~dpa_kit.breach_forms.FormErrors` naming each wrong field."""
    errors: dict[str, str] = {}
    answers = {name: str(values.get(name) or "").strip() for name in SEVERITY_LABELS}
    for name, choices in SEVERITY_CHOICES.items():
        if answers[name] not in choices:
            errors[name] = "choisissez une réponse : " + ", ".join(choices.values())
    adjust = _adjustment(answers["dpc_adjust"])
    if adjust is None:
        errors["dpc_adjust"] = "un nombre de -1 à +1 (par exemple 0,5), ou rien"
    if errors:
        raise FormErrors(errors)
    assert adjust is not None
    inputs: dict[str, Any] = {
        "dpc": int(answers["dpc"]),
        "dpc_adjust": adjust,
        "ei": answers["ei"],
        "confidentiality": answers["confidentiality"],
        "integrity": answers["integrity"],
        "availability": answers["availability"],
        "malicious": answers["malicious"] == "oui",
    }
    severity = assess(
        inputs["dpc"],
        adjust,
        inputs["ei"],
        inputs["confidentiality"],
        inputs["integrity"],
        inputs["availability"],
        inputs["malicious"],
    )
    return Assessment(severity, inputs)


def recorded(breach: Breach) -> Assessment | None:
    """The last assessment recorded for the breach (by the command line or the web), if any."""
    data = breach.severity
    if not data or "band" not in data or "score" not in data:
        return None
    severity = Severity(
        float(data.get("dpc") or 0), float(data.get("ei") or 0), float(data.get("cb") or 0), data["score"], data["band"]
    )
    return Assessment(severity, dict(data.get("inputs") or {}))


def form_values(assessment: Assessment | None) -> dict[str, str]:
    """The answers of a recorded assessment as the form shows them (to re-assess from them); empty if none."""
    if assessment is None:
        return {}
    inputs = assessment.inputs
    values = {name: str(inputs[name]) for name in SEVERITY_CHOICES if name in inputs and name != "malicious"}
    if "malicious" in inputs:
        values["malicious"] = "oui" if inputs["malicious"] else "non"
    if inputs.get("dpc_adjust"):
        values["dpc_adjust"] = f"{inputs['dpc_adjust']:g}".replace(".", ",")
    return values
