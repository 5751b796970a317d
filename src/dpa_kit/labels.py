"""French labels of every field of the convention model: one catalogue for messages, the schema and forms.

A field is named by its *path*: dotted keys, ``[]`` for the items of a list
(``subprocessing.subprocessors[].safeguards``). Its label reads from the outside in, the parts joined by
« › » (« Sous-traitants › garanties (art. 46) »). Messages show the label followed by the path with its
indexes, which is what the YAML file says (:func:`located`); the JSON Schema carries the labels as
``title`` (:func:`add_to_schema`), so a YAML language server shows French help; the web forms call
:func:`label`.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LABELS",
    "REGISTER_LABELS",
    "SEPARATOR",
    "FieldLabel",
    "add_to_schema",
    "breach_item",
    "fields",
    "label",
    "located",
    "normalise",
    "subjects_decision",
    "title",
]

SEPARATOR = " › "

#: path -> French label (the parts from the outside in, joined by « › »).
LABELS: dict[str, str] = {
    "format": "Version du format",
    "id": "Identifiant de la convention",
    "title": "Intitulé de l'opération",
    "dispositif": "Dispositif de l'appel à projets",
    "amount": "Montant de la participation",
    "period": "Période d'application",
    "period.start": "Période d'application › début",
    "period.end": "Période d'application › fin",
    "controller": "Département (responsable de traitement)",
    "controller.name": "Département › nom",
    "controller.address": "Département › adresse",
    "controller.representative": "Département › représentant",
    "controller.representative.name": "Département › représentant › nom",
    "controller.representative.role": "Département › représentant › qualité",
    "controller.dpo": "Département › délégué à la protection des données",
    "controller.dpo.name": "Département › délégué à la protection des données › nom",
    "controller.dpo.email": "Département › délégué à la protection des données › courriel",
    "controller.dpo.phone": "Département › délégué à la protection des données › téléphone",
    "controller.dpo.address": "Département › délégué à la protection des données › adresse",
    "processor": "Structure (sous-traitant)",
    "processor.name": "Structure › nom",
    "processor.short_name": "Structure › nom court",
    "processor.siret": "Structure › SIRET",
    "processor.address": "Structure › adresse",
    "processor.contact_email": "Structure › courriel de contact",
    "processor.representative": "Structure › représentant",
    "processor.representative.name": "Structure › représentant › nom",
    "processor.representative.role": "Structure › représentant › qualité",
    "processor.dpo": "Structure › délégué à la protection des données",
    "processor.dpo.name": "Structure › délégué à la protection des données › nom",
    "processor.dpo.email": "Structure › délégué à la protection des données › courriel",
    "processor.dpo.phone": "Structure › délégué à la protection des données › téléphone",
    "processor.dpo.address": "Structure › délégué à la protection des données › adresse",
    "processing": "Traitement",
    "processing.service": "Traitement › service fourni",
    "processing.operations": "Traitement › nature des opérations",
    "processing.purposes": "Traitement › finalités",
    "processing.data_categories": "Traitement › catégories de données",
    "processing.sensitive_data": "Traitement › données sensibles",
    "processing.data_subjects": "Traitement › personnes concernées",
    "processing.provided_by_controller": "Traitement › informations fournies par le Département",
    "processing.dpia": "Traitement › analyse d'impact (AIPD)",
    "processing.dpia.date": "Traitement › analyse d'impact › date",
    "processing.dpia.reference": "Traitement › analyse d'impact › référence",
    "subprocessing": "Sous-traitance",
    "subprocessing.option": "Sous-traitance › option (A ou B)",
    "subprocessing.objection_period": "Sous-traitance › délai d'objection",
    "subprocessing.authorised_activities": "Sous-traitance › activités autorisées",
    "subprocessing.subprocessors": "Sous-traitants",
    "subprocessing.subprocessors[]": "Sous-traitants › sous-traitant",
    "subprocessing.subprocessors[].name": "Sous-traitants › nom",
    "subprocessing.subprocessors[].address": "Sous-traitants › adresse",
    "subprocessing.subprocessors[].activities": "Sous-traitants › activités",
    "subprocessing.subprocessors[].country": "Sous-traitants › pays",
    "subprocessing.subprocessors[].contract_start": "Sous-traitants › début du contrat",
    "subprocessing.subprocessors[].contract_end": "Sous-traitants › fin du contrat",
    "subprocessing.subprocessors[].safeguards": "Sous-traitants › garanties",
    "transfers": "Transferts hors UE",
    "transfers[]": "Transferts hors UE › transfert",
    "transfers[].country": "Transferts hors UE › pays",
    "transfers[].recipient": "Transferts hors UE › destinataire",
    "transfers[].safeguards": "Transferts hors UE › garanties",
    "security": "Mesures de sécurité",
    "security.option": "Mesures de sécurité › option (1 ou 2)",
    "security.annex": "Mesures de sécurité › annexe « Sécurité et Confidentialité »",
    "security.certification": "Mesures de sécurité › certification ou code de conduite",
    "security.certification_holder": "Mesures de sécurité › titulaire de la certification",
    "security.measures": "Mesures de sécurité › mesures supplémentaires",
    "security.responsibilities": "Mesures de sécurité › répartition des responsabilités",
    "security.annex_measures": "Annexe de sécurité",
    "security.annex_measures.version_date": "Annexe de sécurité › date de version",
    "security.annex_measures.measures": "Annexe de sécurité › mesures personnalisées",
    "security.annex_measures.measures.*": "Annexe de sécurité › mesure {key}",
    "security.annex_measures.measures.*.exclude": "Annexe de sécurité › mesure {key} › écartée",
    "security.annex_measures.measures.*.reason": "Annexe de sécurité › mesure {key} › motif de l'exclusion",
    "security.annex_measures.measures.*.responsible": "Annexe de sécurité › mesure {key} › responsables",
    "security.annex_measures.measures.*.note": "Annexe de sécurité › mesure {key} › mise en œuvre convenue",
    "security.annex_measures.added": "Annexe de sécurité › mesures ajoutées",
    "security.annex_measures.added[]": "Annexe de sécurité › mesure ajoutée",
    "security.annex_measures.added[].id": "Annexe de sécurité › mesure ajoutée › identifiant",
    "security.annex_measures.added[].theme": "Annexe de sécurité › mesure ajoutée › thème",
    "security.annex_measures.added[].title": "Annexe de sécurité › mesure ajoutée › titre",
    "security.annex_measures.added[].text": "Annexe de sécurité › mesure ajoutée › texte",
    "security.annex_measures.added[].responsible": "Annexe de sécurité › mesure ajoutée › responsables",
    "security.annex_measures.added[].note": "Annexe de sécurité › mesure ajoutée › mise en œuvre convenue",
    "data_fate": "Sort des données",
    "data_fate.action": "Sort des données › action",
    "data_fate.third_party": "Sort des données › tiers désigné",
    "data_fate.third_party_information": "Sort des données › information sur le tiers",
    "notifications": "Notifications",
    "notifications.breach_delay_hours": "Notifications › délai de notification des violations (heures)",
    "notifications.breach_address": "Notifications › adresse des violations",
    "notifications.rights_requests_address": "Notifications › adresse des demandes de droits",
    "signed_annex": "Annexe signée",
    "signed_annex.edition": "Annexe signée › édition du modèle",
    "signed_annex.omitted": "Annexe signée › clauses absentes",
    "waivers": "Règles levées",
    "notes": "Remarques internes",
}

#: The same for the fields of a processing register (``dpa-kit-register/1``), as its spreadsheet names them.
REGISTER_LABELS: dict[str, str] = {
    "version": "Structure › version du registre",
    "updated": "Structure › mis à jour le",
    "processor": "Structure",
    "processor.name": "Structure › nom",
    "processor.short_name": "Structure › nom court",
    "processor.siret": "Structure › SIRET",
    "processor.address": "Structure › adresse",
    "processor.representative": "Structure › représentant",
    "processor.dpo": "Structure › délégué à la protection des données",
    "controllers": "Responsables",
    "controllers[]": "Responsables › responsable",
    "controllers[].name": "Responsables › nom",
    "controllers[].address": "Responsables › adresse",
    "controllers[].representative": "Responsables › représentant",
    "controllers[].contact": "Responsables › contact",
    "controllers[].dpo": "Responsables › délégué à la protection des données",
    "controllers[].processings": "Traitements",
    "controllers[].processings[]": "Traitements › traitement",
    "controllers[].processings[].convention": "Traitements › convention",
    "controllers[].processings[].name": "Traitements › traitement",
    "controllers[].processings[].start": "Traitements › début",
    "controllers[].processings[].end": "Traitements › fin",
    "controllers[].processings[].purposes": "Traitements › finalités",
    "controllers[].processings[].data_categories": "Traitements › catégories de données",
    "controllers[].processings[].sensitive_data": "Traitements › données sensibles",
    "controllers[].processings[].data_subjects": "Traitements › personnes concernées",
    "controllers[].processings[].subprocessors": "Sous-traitants",
    "controllers[].processings[].transfers": "Transferts",
    "controllers[].processings[].transfers[].safeguards": "Transferts › garanties",
    "controllers[].processings[].data_fate": "Traitements › sort des données",
    "controllers[].processings[].security": "Traitements › mesures de sécurité",
    "controllers[].processings[].security.pseudonymisation_encryption": "Traitements › pseudonymisation et chiffrement",
    "controllers[].processings[].security.confidentiality_integrity_availability": (
        "Traitements › confidentialité, intégrité, disponibilité, résilience"
    ),
    "controllers[].processings[].security.restore_access": "Traitements › rétablissement après incident",
    "controllers[].processings[].security.regular_testing": "Traitements › tests réguliers des mesures",
}

_INDEX = re.compile(r"\[\d+\]")


def normalise(path: str) -> str:
    """The catalogue key of a located path: ``a.b[1].c`` -> ``a.b[].c``."""
    return _INDEX.sub("[]", path)


def label(path: str, catalogue: dict[str, str] | None = None) -> str | None:
    """The French label of a field path (indexes allowed), or of its nearest labelled parent.

    ``waivers.C012`` is labelled « Règles levées › C012 »: a key chosen by the user keeps its name.
    None when no part of the path is a field of the model.
    """
    labels = LABELS if catalogue is None else catalogue
    key = normalise(path)
    if key in labels:
        return labels[key]
    parts = key.split(".")
    for index, part in enumerate(parts):  # a key of a mapping (a measure's identifier): « * » in the catalogue
        keyed = ".".join([*parts[:index], "*", *parts[index + 1 :]])
        if keyed in labels:
            return labels[keyed].replace("{key}", part)
    for end in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:end])
        if parent in labels:
            rest = ".".join(parts[end:])
            return f"{labels[parent]}{SEPARATOR}{rest}"
    return None


def title(path: str) -> str:
    """The field's own name (the last part of its label, capitalised), for the schema and form fields."""
    text = (label(path) or path).split(SEPARATOR)[-1].replace(" {key}", "")
    return text[:1].upper() + text[1:]


def located(path: str | None, catalogue: dict[str, str] | None = None) -> str:
    """How a message names a field: « Sous-traitants › garanties (subprocessing.subprocessors[1].safeguards) ».

    ``catalogue`` is :data:`LABELS` (conventions) unless given (:data:`REGISTER_LABELS` for registers).
    """
    if not path:
        return ""
    text = label(path, catalogue)
    return f"{text} ({path})" if text else path


def add_to_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every property of the convention's JSON Schema its French ``title`` (and a description).

    Walks from the root through ``$defs`` references, so a definition used at two places (a ``Contact`` for
    both DPOs) gets the label of the first place it is reached from, without the parent's part.
    """
    definitions = schema.get("$defs", {})
    done: set[str] = set()

    def target(node: dict[str, Any]) -> dict[str, Any] | None:
        for candidate in [node, *node.get("anyOf", []), *node.get("allOf", [])]:
            if not isinstance(candidate, dict):
                continue
            patterns = list(candidate.get("patternProperties", {}).values())
            for values in [candidate.get("additionalProperties"), *patterns]:
                if isinstance(values, dict) and "$ref" in values:  # a mapping of keys to blocks: its values
                    return target(values)
            ref = candidate.get("$ref") if isinstance(candidate, dict) else None
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name in done:
                    return None
                done.add(name)
                found: dict[str, Any] | None = definitions.get(name)
                return found
            items = candidate.get("items") if isinstance(candidate, dict) else None
            if isinstance(items, dict) and "$ref" in items:
                return target(items)
        return None

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            if normalise(path) not in LABELS:
                continue
            prop["title"] = title(path)
            prop.setdefault("description", LABELS[normalise(path)] + ".")
            child = target(prop)
            if child is None:
                continue
            is_list = "items" in prop or any("items" in c for c in prop.get("anyOf", []) if isinstance(c, dict))
            # the definition's English class name is shown too by editors: an item of a list is named as one
            child["title"] = title(f"{path}[]") if is_list and f"{path}[]" in LABELS else prop["title"]
            is_mapping = any(
                "patternProperties" in c or isinstance(c.get("additionalProperties"), dict)
                for c in [prop, *prop.get("anyOf", [])]
                if isinstance(c, dict)
            )
            walk(child, f"{path}[]" if is_list else f"{path}.*" if is_mapping else path)

    walk(schema, "")
    schema["title"] = "Convention (format dpa-kit/1)"
    return schema


@dataclass(frozen=True)
class FieldLabel:
    """One field of a model, as a form shows it: its path, full label, own title and help text."""

    path: str
    label: str
    title: str
    description: str | None
    is_list: bool


def fields(model: Any = None, catalogue: dict[str, str] | None = None) -> list[FieldLabel]:
    """Every field of ``model`` (the Convention by default), in the model's order, with its French label.

    For the web forms: ``subprocessing.subprocessors[].safeguards`` comes with « Sous-traitants › garanties »,
    « Garanties » and the help text of the model. A field without label gets its path as label.
    """
    from pydantic import BaseModel

    if model is None:
        from dpa_kit.model import Convention

        model = Convention

    def models_in(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in typing.get_args(annotation) for m in models_in(arg)]

    def is_list(annotation: Any) -> bool:
        return typing.get_origin(annotation) is list or any(is_list(a) for a in typing.get_args(annotation))

    found: list[FieldLabel] = []

    def walk(current: type[BaseModel], prefix: str) -> None:
        for name, info in current.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            listed = is_list(info.annotation)
            text = label(path, catalogue) or path
            found.append(
                FieldLabel(path, text, title(path) if label(path, catalogue) else path, info.description, listed)
            )
            mapping = typing.get_origin(info.annotation) is dict or any(
                typing.get_origin(arg) is dict for arg in typing.get_args(info.annotation)
            )
            for sub in models_in(info.annotation):
                walk(sub, f"{path}[]" if listed else f"{path}.*" if mapping else path)

    walk(model, "")
    return found


# --- a breach's stored codes, in French (the register, pages, messages) ---------------------------------


def breach_item(key: str, value: Any) -> str | None:
    """A breach's detail ``key`` in French, as the notification words it: a stored code becomes its
    questionnaire label (cause ``misdirected`` -> « envoi au mauvais destinataire (courriel, courrier,
    fax) »), counts read « 40 à 50 », instants « samedi 28 mars 2026 à 18 h 00 »; None when absent. A
    value the questionnaire does not know is shown as it was recorded (a declaration typed by hand)."""
    from dpa_kit import breach_questions

    if value is None or value == "" or value == []:
        return None
    shown = breach_questions.items({key: value})
    if shown:
        return shown[0][1]
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def subjects_decision(subjects: dict[str, Any] | None) -> str | None:
    """The Art. 34 decision in French: « les personnes concernées vont être informées (2 décembre 2026,
    courrier) », « … ne seront pas informées : risque non élevé pour les droits et libertés (art. 34(1)) »."""
    from dpa_kit.breach import ART34_GROUNDS, SUBJECT_DECISIONS
    from dpa_kit.words import french_day

    if not subjects:
        return None
    decision = str(subjects.get("decision") or "")
    text = SUBJECT_DECISIONS.get(decision, decision)
    extra = [part for part in (french_day(subjects.get("date")), subjects.get("channel")) if part]
    if extra:
        text += f" ({', '.join(str(part) for part in extra)})"
    ground = subjects.get("ground")
    if ground:
        text += f" : {ART34_GROUNDS.get(ground, ground)}"
    return text
