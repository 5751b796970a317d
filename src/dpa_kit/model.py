"""The convention model, format ``dpa-kit/1``: one funding convention and the choices of its Annexe 1.

A convention file may be a *draft*: answers can still be missing (``None`` or empty lists), since finding
them is the job of :mod:`dpa_kit.checks`. What is malformed (wrong type, unknown key, invalid SIRET,
impossible date, end before start, unknown option) is rejected here. Documents are rendered only from
these validated models, never from raw dictionaries.
"""

from __future__ import annotations

import datetime as _dt
import re
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "FORMAT",
    "SENSITIVE_LABELS",
    "AddedMeasure",
    "Contact",
    "Controller",
    "Convention",
    "ConventionId",
    "CountryCode",
    "DataFate",
    "FateAction",
    "MeasureChoice",
    "MeasureId",
    "Notifications",
    "Parties",
    "Party",
    "Period",
    "Person",
    "Processing",
    "Processor",
    "Security",
    "SecurityAnnexChoices",
    "SensitiveData",
    "Siret",
    "Subprocessing",
    "Subprocessor",
    "Transfer",
    "json_schema",
    "refuse_control_characters",
    "siret_is_valid",
]

FORMAT = "dpa-kit/1"


# Characters no text field may hold: C0 controls but tab and line breaks, DEL, C1 controls, lone surrogates and
# the two non-characters U+FFFE/U+FFFF. Documents (DOCX, ODT, XLSX, ODS are XML) cannot carry them.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def refuse_control_characters(value: Any) -> Any:
    """``value`` unchanged; ValueError (French) if a text in it holds a control character."""
    if isinstance(value, str):
        found = _CONTROL_CHARACTERS.search(value)
        if found:
            raise ValueError(
                f"caractère de contrôle interdit (U+{ord(found.group()):04X}) en position {found.start() + 1} : "
                "supprimez-le (souvent un copier-coller depuis un autre logiciel)"
            )
    elif isinstance(value, (list, tuple)):
        for item in value:
            refuse_control_characters(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_control_characters(key)
            refuse_control_characters(item)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return refuse_control_characters(value)


# --- identifiers -------------------------------------------------------------------------------


def siret_is_valid(siret: str) -> bool:
    """True when ``siret`` is 14 digits passing the Luhn checksum (or La Poste's sum-of-digits rule).

    La Poste's establishments (SIREN 356000000) are numbered sequentially and are the one documented
    exception to the Luhn key: for them the sum of the digits is a multiple of 5.
    """
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000"):
        return sum(int(c) for c in siret) % 5 == 0
    total = 0
    for index, char in enumerate(reversed(siret)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def format_siret(siret: str) -> str:
    """A SIRET as people write it: ``343 097 333 00078`` (SIREN in threes, then the NIC)."""
    digits = siret.replace(" ", "")
    if len(digits) != 14:
        return siret
    return f"{digits[0:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"


def _normalise_siret(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            'le SIRET doit être écrit entre guillemets ("34309733300078"), sinon les zéros de tête sont perdus'
        )
    if isinstance(value, str):
        return re.sub(r"[\s.]", "", value)
    return value


def _check_siret(value: str) -> str:
    if not re.fullmatch(r"\d{14}", value):
        raise ValueError(f"un SIRET compte 14 chiffres ; « {value} » en compte {len(value)}")
    if not siret_is_valid(value):
        raise ValueError(
            f"le SIRET « {value} » est invalide (clé de contrôle fausse) : vérifiez-le sur "
            "l'avis de situation INSEE ou annuaire-entreprises.data.gouv.fr"
        )
    return value


Siret = Annotated[str, BeforeValidator(_normalise_siret), AfterValidator(_check_siret)]


def _check_country(value: str) -> str:
    from dpa_kit.countries import COUNTRY_NAMES_FR

    code = value.upper()
    if code not in COUNTRY_NAMES_FR:
        raise ValueError(f"« {value} » n'est pas un code pays ISO 3166 à deux lettres (exemples : FR, DE, US)")
    return code


CountryCode = Annotated[str, AfterValidator(_check_country)]

ConventionId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$",
        description="Identifiant stable de la convention : lettres, chiffres, '.', '_' et '-' "
        "(utilisé dans les noms de fichiers et le journal).",
        examples=["2026-FSL-ADIL-NUMERO-VERT"],
    ),
]


# --- enumerations --------------------------------------------------------------------------------


class SensitiveData(str, Enum):
    """Special categories of Art. 9 and 10 GDPR, and the NIR (French social security number)."""

    health = "health"
    racial_or_ethnic_origin = "racial_or_ethnic_origin"
    political_opinions = "political_opinions"
    religious_beliefs = "religious_beliefs"
    trade_union_membership = "trade_union_membership"
    genetic = "genetic"
    biometric = "biometric"
    sex_life = "sex_life"
    offences_and_convictions = "offences_and_convictions"
    nir = "nir"

    @property
    def label(self) -> str:
        return SENSITIVE_LABELS[self]


SENSITIVE_LABELS: dict[SensitiveData, str] = {
    SensitiveData.health: "données de santé",
    SensitiveData.racial_or_ethnic_origin: "origine raciale ou ethnique",
    SensitiveData.political_opinions: "opinions politiques",
    SensitiveData.religious_beliefs: "convictions religieuses ou philosophiques",
    SensitiveData.trade_union_membership: "appartenance syndicale",
    SensitiveData.genetic: "données génétiques",
    SensitiveData.biometric: "données biométriques",
    SensitiveData.sex_life: "vie sexuelle ou orientation sexuelle",
    SensitiveData.offences_and_convictions: "infractions et condamnations pénales",
    SensitiveData.nir: "numéro de sécurité sociale (NIR)",
}


class FateAction(str, Enum):
    """What the structure does with the data at the end of the convention (clause "Sort des données")."""

    destroy = "destroy"
    return_to_controller = "return_to_controller"
    return_to_third_party = "return_to_third_party"


# --- blocks ---------------------------------------------------------------------------------------


class Person(_Model):
    """A named signatory or representative."""

    name: str | None = Field(None, description="Prénom et NOM.", examples=["Jean-Claude LEROY"])
    role: str | None = Field(None, description="Qualité.", examples=["Président"])


class Contact(_Model):
    """A point of contact (a DPO, a service): at least one way to reach them once the file is complete."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    @field_validator("email")
    @classmethod
    def _one_line_email(cls, value: str | None) -> str | None:
        # An address goes into mail headers (From, To): a line break there would add headers.
        if value is not None and any(c in value for c in "\r\n\t"):
            raise ValueError("une adresse électronique tient sur une seule ligne, sans tabulation")
        return value


class Controller(_Model):
    """The Département, controller (responsable de traitement)."""

    name: str | None = None
    address: str | None = None
    representative: Person | None = None
    dpo: Contact | None = None


class Processor(_Model):
    """The funded structure, processor (sous-traitant; « l'organisme » in the clauses)."""

    name: str | None = None
    short_name: str | None = Field(None, description="Nom court utilisé dans les documents.")
    siret: Siret | None = Field(None, description="SIRET à 14 chiffres, entre guillemets.")
    address: str | None = None
    representative: Person | None = None
    contact_email: str | None = Field(
        None,
        description="Adresse électronique de la structure (accueil, direction) : les relances lui sont "
        "écrites quand la structure n'a pas de délégué à la protection des données.",
        examples=["contact@association.fr"],
    )
    dpo: Contact | None = Field(
        None,
        description="Délégué à la protection des données de la structure, ou null si elle n'en a "
        "pas désigné (il faut alors l'écrire explicitement : « dpo: null »).",
    )

    @property
    def display_name(self) -> str | None:
        return self.short_name or self.name


class Period(_Model):
    """The period of application of the convention (article 3), both days included."""

    start: date | None = None
    end: date | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if start and end and end < start:
            raise ValueError(f"la fin de la période ({end.isoformat()}) précède son début ({start.isoformat()})")
        return end


class Dpia(_Model):
    """The data protection impact assessment (AIPD) carried out for this processing."""

    date: _dt.date | None = Field(None, description="Date de l'analyse d'impact (AIPD).")
    reference: str | None = Field(None, description="Référence du document d'analyse d'impact.")


class Processing(_Model):
    """Section 1 of the annex: what is processed, why, and about whom."""

    service: str | None = Field(None, description="Le service fourni par la structure.")
    operations: str | None = Field(None, description="La nature des opérations sur les données.")
    purposes: list[str] = Field(default_factory=list, description="Les finalités du traitement.")
    data_categories: list[str] = Field(
        default_factory=list, description="Les catégories de données personnelles traitées."
    )
    sensitive_data: list[SensitiveData] = Field(
        default_factory=list,
        description="Catégories particulières (art. 9 et 10 RGPD) et NIR parmi les données traitées.",
    )
    data_subjects: list[str] = Field(default_factory=list, description="Les catégories de personnes concernées.")
    provided_by_controller: list[str] = Field(
        default_factory=list,
        description="Les informations que le Département met à la disposition de la structure.",
    )
    dpia: Dpia | None = Field(None, description="Analyse d'impact (AIPD) réalisée : date et référence (art. 35 RGPD).")


class Subprocessor(_Model):
    """A sub-processor the structure uses (a software publisher, a host...)."""

    name: str | None = None
    address: str | None = None
    activities: list[str] = Field(default_factory=list)
    country: CountryCode | None = Field(None, description="Code pays ISO 3166 (FR, DE...).")
    contract_start: date | None = None
    contract_end: date | None = None
    safeguards: str | None = Field(None, description="Garanties (art. 46 RGPD) si le pays est hors de l'UE/EEE.")

    @field_validator("contract_end")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("contract_start")
        if start and end and end < start:
            raise ValueError("la fin du contrat de sous-traitance précède son début")
        return end


class Subprocessing(_Model):
    """Clause "Sous-traitance": option A (general authorisation) or B (specific authorisation)."""

    option: Literal["A", "B"] | None = Field(
        None, description="A : autorisation générale ; B : autorisation spécifique."
    )
    objection_period: str | None = Field(
        None, description="Option A : délai d'objection du Département.", examples=["3 mois"]
    )
    authorised_activities: list[str] = Field(
        default_factory=list, description="Option B : activités de traitement sous-traitées autorisées."
    )
    subprocessors: list[Subprocessor] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _upper_option(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("option"), str):
            data = {**data, "option": data["option"].strip().upper()}
        return data


class Transfer(_Model):
    """A transfer of personal data outside the EU/EEA."""

    country: CountryCode | None = None
    recipient: str | None = None
    safeguards: str | None = Field(
        None,
        description="Garanties appropriées (décision d'adéquation, clauses types, BCR...) ou, pour "
        "l'art. 49 §1 al. 2, les documents qui les attestent.",
    )


class Party(str, Enum):
    """A party that can be responsible for a security measure (the responsibility matrix's columns)."""

    departement = "departement"
    structure = "structure"
    subprocessor = "subprocessor"


def _parties(value: Any) -> Any:
    """``both`` means the Département and the structure; a single party may be written without a list."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    out: list[Any] = []
    for item in items:
        if isinstance(item, str) and item.strip().lower() == "both":
            out.extend(["departement", "structure"])
        elif isinstance(item, str):
            out.append(item.strip().lower())
        else:
            out.append(item)
    return list(dict.fromkeys(out))


Parties = Annotated[list[Party], BeforeValidator(_parties)]
MeasureId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", examples=["CNIL-05"])]


class MeasureChoice(_Model):
    """How this convention personalises one measure of the security catalogue."""

    exclude: bool = Field(False, description="Écarter la mesure de l'annexe de sécurité (motif obligatoire).")
    reason: str | None = Field(None, description="Motif de l'exclusion.")
    responsible: Parties | None = Field(
        None,
        description="Parties responsables à la place de celles du catalogue : departement, structure, "
        "subprocessor, ou both (Département et structure).",
    )
    note: str | None = Field(
        None,
        description="Mise en œuvre convenue : l'outil, le produit, la fréquence.",
        examples=["sauvegarde quotidienne"],
    )


class AddedMeasure(_Model):
    """A measure added to the security annex: a catalogue measure not applicable by default, or a new one."""

    id: MeasureId
    theme: str | None = Field(None, description="Thème du catalogue (par défaut : mesures propres à la convention).")
    title: str | None = Field(None, description="Titre (inutile pour une mesure du catalogue).")
    text: str | None = Field(None, description="Texte de la mesure (inutile pour une mesure du catalogue).")
    responsible: Parties | None = Field(None, description="Parties responsables de la mesure.")
    note: str | None = Field(None, description="Mise en œuvre convenue : l'outil, le produit, la fréquence.")


class SecurityAnnexChoices(_Model):
    """Option 2: the personalisation of the generated « annexe Sécurité et Confidentialité »."""

    version_date: date | None = Field(
        None, description="Date de la version de l'annexe (par défaut : début de la convention)."
    )
    measures: dict[MeasureId, MeasureChoice] = Field(
        default_factory=dict, description="Mesures du catalogue personnalisées, par identifiant (CNIL-05...)."
    )
    added: list[AddedMeasure] = Field(default_factory=list, description="Mesures ajoutées.")


class Security(_Model):
    """Clause "Mesures de sécurité": option 1 (very limited exchanges, no platform) or 2 (other cases)."""

    option: Literal[1, 2] | None = None
    annex: str | None = Field(
        None,
        description="Option 2 : référence de l'annexe « Sécurité et Confidentialité » jointe.",
        examples=["Annexe 4 - Sécurité et Confidentialité"],
    )
    certification: str | None = Field(
        None, description="Option 2 : code de conduite ou certification appliqué, le cas échéant."
    )
    certification_holder: str | None = Field(
        None,
        description="Qui détient la certification ou adhère au code de conduite, si ce n'est pas la "
        "structure elle-même (par exemple l'hébergeur).",
        examples=["l'hébergeur Hébergeur Santé Nord"],
    )
    measures: list[str] = Field(
        default_factory=list, description="Mesures supplémentaires convenues entre les parties."
    )
    responsibilities: str | None = Field(
        None, description="Répartition des responsabilités au titre de l'article 32 RGPD."
    )
    annex_measures: SecurityAnnexChoices = Field(
        default_factory=SecurityAnnexChoices,
        description="Option 2 : personnalisation de l'annexe Sécurité et Confidentialité produite par dpa-kit.",
    )

    @model_validator(mode="before")
    @classmethod
    def _int_option(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("option"), str):
            text = data["option"].strip()
            if text in {"1", "2"}:
                data = {**data, "option": int(text)}
        return data


class DataFate(_Model):
    """Clause "Sort des données": what happens to the data at the end of the convention."""

    action: FateAction | None = None
    third_party: str | None = Field(
        None, description="Tiers désigné par le Département (si action = return_to_third_party)."
    )
    third_party_information: str | None = Field(
        None,
        description="Si le tiers n'est pas encore connu : modalités d'information de la structure en "
        "cours d'exécution.",
    )


class Notifications(_Model):
    """Where and how fast the structure writes to the Département."""

    breach_delay_hours: int = Field(
        24, gt=0, description="Délai maximal de notification d'une violation au Département (heures)."
    )
    breach_address: str | None = Field(None, description="Adresse de notification des violations.")
    rights_requests_address: str | None = Field(
        None, description="Adresse de transmission des demandes d'exercice des droits."
    )


AnnexOmission = Literal["destruction_written_justification", "register_transfers_item"]


class SignedAnnex(_Model):
    """How the annex signed for this convention differs from the current template.

    A convention signed before a template change renders the text that was signed, not today's one:
    ``edition`` keeps that edition's literal wording, ``omitted`` lists the clauses its signed text lacks.
    """

    edition: Literal["2026-05"] | None = Field(
        None,
        description="Édition du modèle signée : « 2026-05 » reprend la rédaction de la délibération du "
        "26 mai 2026 (« titulaire », « pouvoir adjudicateur »).",
    )
    omitted: list[AnnexOmission] = Field(
        default_factory=list,
        description="Clauses du modèle absentes du texte signé : destruction_written_justification "
        "(justifier par écrit de la destruction), register_transfers_item (transferts au registre).",
    )


class Convention(_Model):
    """One funding convention and the content of its Annexe 1 (format ``dpa-kit/1``)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra={"$id": "https://dpa-kit.invalid/schema/dpa-kit-1.json"},
        title="Convention dpa-kit/1",
    )

    format: Literal["dpa-kit/1"] = Field(description="Version du format : toujours « dpa-kit/1 ».")
    id: ConventionId
    title: str | None = Field(None, description="Intitulé de l'opération.")
    dispositif: str | None = Field(
        None, description="Numéro du dispositif de l'appel à projets, entre guillemets.", examples=["2.2"]
    )
    amount: Decimal | None = Field(None, ge=0, description="Montant de la participation (euros).")
    period: Period = Field(default_factory=Period)
    controller: Controller = Field(default_factory=Controller)
    processor: Processor = Field(default_factory=Processor)
    processing: Processing = Field(default_factory=Processing)
    subprocessing: Subprocessing = Field(default_factory=Subprocessing)
    transfers: list[Transfer] = Field(default_factory=list)
    security: Security = Field(default_factory=Security)
    data_fate: DataFate = Field(default_factory=DataFate)
    notifications: Notifications = Field(default_factory=Notifications)
    signed_annex: SignedAnnex | None = Field(
        None, description="Différences entre l'annexe signée et le modèle actuel (conventions déjà signées)."
    )
    waivers: dict[str, str] = Field(
        default_factory=dict,
        description="Règles de contrôle levées, avec leur justification écrite : {CODE: raison}.",
    )
    notes: str | None = Field(None, description="Remarques internes (jamais reprises dans l'annexe).")

    @property
    def processor_dpo_declared(self) -> bool:
        """True when the file says something about the structure's DPO, even ``dpo: null``."""
        return "dpo" in self.processor.model_fields_set

    def transfer_for(self, subprocessor: Subprocessor) -> Transfer | None:
        """The entry of ``transfers`` that covers a sub-processor established outside the EU/EEA.

        A sub-processor outside the EU/EEA *is* a transfer: it matches the transfer to the same country
        whose recipient names it (case and spacing ignored).
        """

        def key(text: str | None) -> str:
            return " ".join((text or "").lower().split())

        for transfer in self.transfers:
            if (
                transfer.country == subprocessor.country
                and key(subprocessor.name)
                and (key(subprocessor.name) in key(transfer.recipient))
            ):
                return transfer
        return None

    def omits(self, clause: str) -> bool:
        """True when the signed annex of this convention lacks ``clause`` of the current template."""
        return self.signed_annex is not None and clause in self.signed_annex.omitted

    @property
    def written_attestation_owed(self) -> bool:
        """Whether the annex obliges the structure to justify the destruction in writing."""
        return not self.omits("destruction_written_justification")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the convention format, for editors (YAML language servers) and tests."""
    from dpa_kit.labels import add_to_schema

    schema = add_to_schema(Convention.model_json_schema())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
