"""The processor's register of processing activities (GDPR Art. 30.2), kept by each structure.

A register file (format ``dpa-kit-register/1``) lists, per controller, the categories of processing the
structure carries out for it: one per convention, pre-filled from the convention files, plus the general
description of security measures under the four headings of the clause, which only the structure can
write. This module builds it from conventions, loads it with located French errors, and checks it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dpa_kit import clock, yamlio
from dpa_kit.exceptions import ConventionError, Problem, UsageError
from dpa_kit.loader import SourceMap, _problems, iter_folder, read_yaml, register_files
from dpa_kit.model import (
    Contact,
    Convention,
    CountryCode,
    FateAction,
    Person,
    SensitiveData,
    Siret,
    Transfer,
    refuse_control_characters,
)

REGISTER_FORMAT = "dpa-kit-register/1"
SECURITY_HEADINGS = {
    "pseudonymisation_encryption": "la pseudonymisation et le chiffrement des données à caractère personnel",
    "confidentiality_integrity_availability": (
        "les moyens de garantir la confidentialité, l'intégrité, la disponibilité "
        "et la résilience constantes des systèmes et des services de traitement"
    ),
    "restore_access": "les moyens de rétablir la disponibilité des données et l'accès à celles-ci dans des délais "
    "appropriés en cas d'incident physique ou technique",
    "regular_testing": "la procédure pour tester, analyser et évaluer régulièrement l'efficacité des mesures",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return refuse_control_characters(value)


class RegisterSubprocessor(_Model):
    name: str | None = None
    address: str | None = None
    country: CountryCode | None = None
    activities: list[str] = Field(default_factory=list)


class SecurityMeasures(_Model):
    """General description of the technical and organisational security measures (Art. 30.2(d), 32.1)."""

    pseudonymisation_encryption: str | None = None
    confidentiality_integrity_availability: str | None = None
    restore_access: str | None = None
    regular_testing: str | None = None


class ProcessingCategory(_Model):
    """One category of processing carried out for a controller (one per convention)."""

    convention: str | None = None
    name: str | None = None
    start: date | None = None
    end: date | None = None
    purposes: list[str] = Field(default_factory=list)
    data_categories: list[str] = Field(default_factory=list)
    sensitive_data: list[SensitiveData] = Field(default_factory=list)
    data_subjects: list[str] = Field(default_factory=list)
    subprocessors: list[RegisterSubprocessor] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    data_fate: FateAction | None = None
    security: SecurityMeasures = Field(default_factory=SecurityMeasures)


class RegisterController(_Model):
    """A controller for whom the structure processes data, with its contacts and DPO."""

    name: str | None = None
    address: str | None = None
    representative: Person | None = None
    contact: Contact | None = None
    dpo: Contact | None = None
    processings: list[ProcessingCategory] = Field(default_factory=list)


class RegisterProcessor(_Model):
    name: str | None = None
    short_name: str | None = None
    siret: Siret | None = None
    address: str | None = None
    representative: Person | None = None
    dpo: Contact | None = None


class Register(_Model):
    """The Art. 30.2 register of one structure."""

    format: Literal["dpa-kit-register/1"] = "dpa-kit-register/1"
    version: int = Field(1, ge=1, description="Numéro de version du registre, à augmenter à chaque mise à jour.")
    updated: date | None = None
    processor: RegisterProcessor = Field(default_factory=RegisterProcessor)
    controllers: list[RegisterController] = Field(default_factory=list)

    def categories(self) -> list[tuple[RegisterController, ProcessingCategory]]:
        return [(controller, p) for controller in self.controllers for p in controller.processings]


# --- building -----------------------------------------------------------------------------------


def category_from(convention: Convention) -> ProcessingCategory:
    """The register entry that a convention implies (security measures pre-filled from an option-2 annex)."""
    return ProcessingCategory(
        convention=convention.id,
        name=convention.title or convention.processing.service,
        start=convention.period.start,
        end=convention.period.end,
        purposes=list(convention.processing.purposes),
        data_categories=list(convention.processing.data_categories),
        sensitive_data=list(convention.processing.sensitive_data),
        data_subjects=list(convention.processing.data_subjects),
        subprocessors=[
            RegisterSubprocessor(name=s.name, address=s.address, country=s.country, activities=list(s.activities))
            for s in convention.subprocessing.subprocessors
        ],
        transfers=list(convention.transfers),
        data_fate=convention.data_fate.action,
        security=_security_from(convention),
    )


def _security_from(convention: Convention) -> SecurityMeasures:
    """Option 2: the headings described by the security annex's measures the structure answers for."""
    from dpa_kit.security import register_security

    return SecurityMeasures(**register_security(convention))


def init_register(folder: Path, siret: str) -> Register:
    """A register pre-filled from every convention of ``folder`` that names the structure ``siret``."""
    siret = siret.replace(" ", "")
    conventions = [
        r.loaded.convention
        for r in iter_folder(folder)
        if r.loaded is not None and r.loaded.convention.processor.siret == siret
    ]
    if not conventions:
        raise UsageError(
            f"aucune convention de {folder} ne porte le SIRET {siret} (dpa-kit list --format json les affiche)"
        )
    conventions.sort(key=lambda c: (c.period.start or date.min, c.id))
    first = conventions[-1]
    processor = first.processor
    controllers: dict[str, RegisterController] = {}
    for convention in conventions:
        key = convention.controller.name or "Département"
        if key not in controllers:
            c = convention.controller
            controllers[key] = RegisterController(
                name=c.name, address=c.address, representative=c.representative, dpo=c.dpo
            )
        controllers[key].processings.append(category_from(convention))
    return Register(
        updated=clock.today(),
        processor=RegisterProcessor(
            name=processor.name,
            short_name=processor.short_name,
            siret=processor.siret,
            address=processor.address,
            representative=processor.representative,
            dpo=processor.dpo,
        ),
        controllers=list(controllers.values()),
    )


def dump(register: Register) -> str:
    """The register as YAML (stable key order, UTF-8)."""
    data = register.model_dump(mode="json", exclude_none=False)
    header = (
        "# Registre des catégories d'activités de traitement (article 30.2 du RGPD), tenu par la structure.\n"
        "# Pré-rempli par dpa-kit à partir des conventions ; complétez les mesures de sécurité (security).\n"
    )
    return yamlio.dumps(data, header)


def load_register(path: Path) -> Register:
    """Load a register file; raise ConventionError with file, line and field on any problem."""
    data, lines = read_yaml(path)
    try:
        return Register.model_validate(data)
    except ValidationError as exc:
        raise ConventionError(_problems(exc, SourceMap(path, lines), model=Register)) from exc


def load_registers(paths: list[Path]) -> tuple[list[Register], list[Problem]]:
    """Load the registers among ``paths`` (files, or folders whose register files are taken); never stops
    at a bad file: its problems are returned beside the registers that loaded."""
    registers: list[Register] = []
    problems: list[Problem] = []
    for path in register_files(paths):
        try:
            registers.append(load_register(path))
        except ConventionError as exc:
            problems.extend(exc.problems)
    return registers, problems


# --- checking -------------------------------------------------------------------------------------


#: Answers that describe no security measure (compared in lower case, without accents or final dot).
_NOTHING = {
    "aucun",
    "aucune",
    "aucunes",
    "aucuns",
    "non",
    "neant",
    "rien",
    "sans objet",
    "so",
    "n/a",
    "na",
    "nc",
    "ras",
    "-",
    "--",
    "/",
    "?",
    "x",
    "a completer",
    "a voir",
    "nsp",
    "pas de mesure",
    "pas de mesures",
    "0",
}


def _says_nothing(text: str) -> bool:
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFD", text.strip().lower()) if not unicodedata.combining(c))
    return " ".join(plain.rstrip(".! ").split()) in _NOTHING


def check_register(
    register: Register, conventions_folder: Path | None = None, today: date | None = None
) -> list[Problem]:
    """What the register lacks against Art. 30.2, and where it disagrees with the conventions."""
    today = today or clock.today()
    problems: list[Problem] = []

    def missing(field: str, what: str) -> None:
        problems.append(Problem(None, None, field, f"à compléter : {what}"))

    p = register.processor
    if not p.name:
        missing("processor.name", "le nom de la structure")
    if p.dpo is None or not (p.dpo.email or p.dpo.phone):
        missing(
            "processor.dpo",
            "les coordonnées du délégué à la protection des données de la structure, "
            "ou du référent RGPD s'il n'y a pas de DPO",
        )
    if not register.controllers:
        missing("controllers", "au moins un responsable de traitement")
    for ci, controller in enumerate(register.controllers):
        where = f"controllers[{ci}]"
        if not controller.name:
            missing(f"{where}.name", "le nom du responsable de traitement")
        if not (controller.address or (controller.contact and (controller.contact.email or controller.contact.phone))):
            missing(f"{where}.address", "les coordonnées du responsable de traitement")
        if controller.dpo is None or not (controller.dpo.email or controller.dpo.phone):
            missing(
                f"{where}.dpo", "les coordonnées du délégué à la protection des données du responsable de traitement"
            )
        for pi, category in enumerate(controller.processings):
            at = f"{where}.processings[{pi}]"
            label = category.convention or category.name or str(pi + 1)
            if not category.name:
                missing(f"{at}.name", f"le nom du traitement {label}")
            if not category.purposes:
                missing(f"{at}.purposes", f"les finalités du traitement {label}")
            if not category.data_categories:
                missing(f"{at}.data_categories", f"les catégories de données du traitement {label}")
            if not category.data_subjects:
                missing(f"{at}.data_subjects", f"les personnes concernées du traitement {label}")
            for ti, transfer in enumerate(category.transfers):
                if not transfer.safeguards:
                    missing(f"{at}.transfers[{ti}].safeguards", f"les garanties du transfert hors UE ({label})")
            if not category.convention:
                problems.append(
                    Problem(
                        None,
                        None,
                        f"{at}.convention",
                        f"traitement {label} : aucune convention ni contrat indiqué ; un sous-traitant "
                        "agit sur la base d'un contrat (art. 28.3 RGPD) : indiquez son identifiant",
                    )
                )
            for key, heading in SECURITY_HEADINGS.items():
                value = getattr(category.security, key)
                if not value:
                    missing(f"{at}.security.{key}", f"{heading} ({label})")
                elif _says_nothing(value):
                    problems.append(
                        Problem(
                            None,
                            None,
                            f"{at}.security.{key}",
                            f"« {value.strip()} » ne décrit aucune mesure : décrivez {heading} ({label})",
                        )
                    )
    if conventions_folder is not None:
        problems.extend(_against_conventions(register, conventions_folder, today))
    return problems


def _against_conventions(register: Register, folder: Path, today: date) -> list[Problem]:
    problems = []
    siret = register.processor.siret
    conventions = {r.loaded.convention.id: r.loaded.convention for r in iter_folder(folder) if r.loaded is not None}
    listed = {category.convention for _, category in register.categories() if category.convention}
    for convention in conventions.values():
        if siret and convention.processor.siret == siret and convention.id not in listed:
            ended = convention.period.end is not None and convention.period.end < today
            if not ended:
                problems.append(
                    Problem(
                        None,
                        None,
                        "controllers",
                        f"la convention {convention.id} n'a pas d'entrée dans le registre : ajoutez-la "
                        "(dpa-kit register init la pré-remplit)",
                    )
                )
    for ci, controller in enumerate(register.controllers):
        for pi, category in enumerate(controller.processings):
            linked = conventions.get(category.convention or "")
            at = f"controllers[{ci}].processings[{pi}]"
            if category.convention and linked is None:
                problems.append(
                    Problem(
                        None,
                        None,
                        f"{at}.convention",
                        f"la convention {category.convention} est introuvable dans {folder}",
                    )
                )
            elif linked is not None and linked.period.end and linked.period.end < today:
                problems.append(
                    Problem(
                        None,
                        None,
                        f"{at}.convention",
                        f"la convention {linked.id} est terminée depuis le "
                        f"{clock.french_date(linked.period.end)} : archivez l'entrée une fois les "
                        "données détruites et l'attestation envoyée",
                    )
                )
    return problems


def _named(name: str | None, country: str | None) -> str:
    """« VisioConnect Inc. (États-Unis) »: a sub-processor or recipient with its country's French name."""
    from dpa_kit.countries import country_name

    where = f" ({country_name(country)})" if country else ""
    return f"{name or 'sans nom'}{where}"


def consolidated_rows(registers: list[Register]) -> tuple[list[str], list[list[Any]]]:
    """All structures' registers in one table: who processes what, sensitive data, sub-processors, transfers."""
    headers = [
        "Structure",
        "SIRET",
        "DPO de la structure",
        "Responsable",
        "Convention",
        "Traitement",
        "Période",
        "Données sensibles",
        "Sous-traitants",
        "Transferts hors UE",
        "Sort des données",
        "Mesures de sécurité décrites",
    ]
    rows = []
    for register in registers:
        p = register.processor
        for controller, category in register.categories():
            described = sum(1 for key in SECURITY_HEADINGS if getattr(category.security, key))
            rows.append(
                [
                    p.short_name or p.name,
                    p.siret,
                    (p.dpo.email if p.dpo else None) or "aucun",
                    controller.name,
                    category.convention,
                    category.name,
                    f"{category.start.isoformat() if category.start else '?'} - "
                    f"{category.end.isoformat() if category.end else '?'}",
                    ", ".join(s.label for s in category.sensitive_data) or "non",
                    " ; ".join(_named(s.name, s.country) for s in category.subprocessors) or "non",
                    " ; ".join(_named(t.recipient, t.country) for t in category.transfers) or "non",
                    category.data_fate.value if category.data_fate else None,
                    f"{described}/4",
                ]
            )
    return headers, rows
