"""The machine-readable copy of a breach notification: the ``dpa-kit-breach/1`` JSON attachment.

The notification e-mail carries, beside its French text, a JSON file that the Département imports in
one step (``breach receive --eml``): no item is retyped. The format is versioned (``format``), closed
(unknown keys are refused) and bounded (text lengths, list sizes), since it comes from outside; its
JSON Schema is published (``notice_schema()``, printed by ``dpa-kit schema``). Validation is done by the
pydantic model itself; errors are French and name the field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from dpa_kit.breach import Breach
from dpa_kit.breach_ids import REFERENCE_PATTERN
from dpa_kit.exceptions import InputError
from dpa_kit.model import ConventionId, SensitiveData, Siret

__all__ = [
    "DETAIL_KEYS",
    "FORMAT",
    "MAX_NOTICE_BYTES",
    "BreachNotice",
    "NoticeError",
    "details_from_notice",
    "normalise_details",
    "notice_from_breach",
    "notice_json",
    "notice_schema",
    "parse_notice",
]

FORMAT = "dpa-kit-breach/1"
MAX_NOTICE_BYTES = 256 * 1024
_TEXT_MAX = 4000

Text = Annotated[str, Field(min_length=1, max_length=_TEXT_MAX)]
Texts = Annotated[list[Annotated[str, Field(min_length=1, max_length=1000)]], Field(max_length=60)]


class NoticeError(InputError):
    """Raised when a notification attachment is not a valid ``dpa-kit-breach/1`` document."""


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Count(_Closed):
    """An approximate number: ``min`` = ``max`` for « 40 » or « environ 40 », a range for « 40 à 50 »."""

    min: int = Field(ge=0, le=100_000_000)
    max: int = Field(ge=0, le=100_000_000)
    approximate: bool = False


class Structure(_Closed):
    """The structure (processor) notifying."""

    name: Annotated[str, Field(max_length=300)] | None = None
    siret: Siret | None = None


_Item = Literal[
    "started_at",
    "ended_at",
    "over",
    "discovery",
    "natures",
    "origin",
    "cause",
    "description",
    "data_categories",
    "sensitive_data",
    "records",
    "people_categories",
    "people",
    "vulnerable",
    "measures_before",
    "consequences",
    "measures",
    "subjects_informed",
    "subjects_detail",
    "other_authorities",
    "contact",
]


class BreachNotice(_Closed):
    """A breach notification from a structure to the Département (GDPR Art. 33(3) and the CNIL form)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="Notification de violation de données (dpa-kit-breach/1)",
        json_schema_extra={"$id": "https://dpa-kit.invalid/schema/dpa-kit-breach-1.json"},
    )

    format: Literal["dpa-kit-breach/1"] = Field(description="Version du format : toujours « dpa-kit-breach/1 ».")
    reference: str = Field(
        pattern=REFERENCE_PATTERN.pattern, description="Référence de la violation chez la structure."
    )
    type: Literal["initial", "complementary"] = Field(
        description="Notification initiale ou complémentaire (art. 33(4))."
    )
    convention: ConventionId
    structure: Structure
    prepared_at: AwareDatetime = Field(description="Moment où la notification a été préparée.")
    aware_at: AwareDatetime = Field(description="Prise de connaissance de la violation par la structure.")
    notify_deadline: AwareDatetime = Field(description="Échéance contractuelle de notification au Département.")
    late: bool = False
    delay_reason: Text | None = None
    ongoing: bool | None = Field(None, description="true : en cours ; false : terminée ; null : pas encore connu.")
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    discovery: Text | None = None
    natures: list[Literal["confidentiality", "integrity", "availability"]] | None = Field(None, max_length=3)
    origin: Literal["internal_accidental", "internal_malicious", "external_accidental", "external_malicious"] | None = (
        None
    )
    cause: Text | None = None
    description: Text | None = None
    data_categories: Texts | None = None
    sensitive_data: list[SensitiveData] | None = Field(None, max_length=10)
    records: Count | None = None
    people_categories: Texts | None = None
    people: Count | None = None
    vulnerable: list[Literal["minors", "vulnerable"]] | None = Field(None, max_length=2)
    measures_before: Text | None = None
    consequences: Text | None = None
    measures: Text | None = None
    subjects_informed: Literal["informed", "to_inform", "not_informed", "undecided"] | None = None
    subjects_detail: Text | None = None
    other_authorities: Text | None = None
    contact: Text | None = None
    pending: list[_Item] = Field(
        default_factory=list, max_length=30, description="Éléments « je ne sais pas encore », à compléter (art. 33(4))."
    )


def notice_schema() -> dict[str, Any]:
    """The JSON Schema of the attachment (for the Département's tools and for editors)."""
    schema = BreachNotice.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# --- from a recorded breach --------------------------------------------------------------------------


def _count(value: Any) -> dict[str, Any] | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return {"min": value, "max": value, "approximate": False}
    return dict(value) if isinstance(value, dict) else None


def _texts(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def normalise_details(details: dict[str, Any]) -> dict[str, Any]:
    """Details in the questionnaire's shape, whatever recorded them (older options gave ints and flags)."""
    out = dict(details)
    for key in ("records", "people"):
        if key in out:
            out[key] = _count(out[key])
    for key in ("data_categories", "people_categories"):
        if key in out:
            out[key] = _texts(out[key])
    if isinstance(out.get("vulnerable"), bool):
        out["vulnerable"] = ["vulnerable"] if out["vulnerable"] else []
    if "subjects_information" in out and "subjects_detail" not in out:
        out["subjects_detail"] = out.pop("subjects_information")
    return {k: v for k, v in out.items() if v not in (None, "")}


#: The items of a declaration kept in a breach's details, in the order of the notification (every item of
#: the format but « over », which is kept as ``ongoing``).
DETAIL_KEYS: tuple[str, ...] = tuple(key for key in get_args(_Item) if key != "over")


def notice_from_breach(
    breach: Breach,
    *,
    siret: str | None,
    prepared_at: datetime,
    complementary: bool = False,
    delay_reason: str | None = None,
) -> BreachNotice:
    """The attachment for a breach recorded by a structure."""
    details = normalise_details(breach.details)
    data: dict[str, Any] = {
        "format": FORMAT,
        "reference": breach.id,
        "type": "complementary" if complementary else "initial",
        "convention": breach.convention,
        "structure": {"name": breach.structure, "siret": siret},
        "prepared_at": prepared_at,
        "aware_at": breach.aware_at,
        "notify_deadline": breach.notify_deadline,
        "late": prepared_at > breach.notify_deadline and not complementary,
        "delay_reason": delay_reason or None,
        "ongoing": None if details.get("ongoing_unknown") else bool(details.get("ongoing")),
        "pending": [p for p in details.get("pending", []) if p in _Item.__args__],  # type: ignore[attr-defined]
    }
    for key in DETAIL_KEYS:
        if key in details:
            data[key] = details[key]
    try:
        return BreachNotice.model_validate(data)
    except ValidationError as exc:
        raise NoticeError(_errors_fr(exc, f"violation {breach.id}")) from exc


def notice_json(notice: BreachNotice) -> bytes:
    """The attachment's bytes: UTF-8 JSON, keys in the model's order, indented for a human reader."""
    return (notice.model_dump_json(indent=2, exclude_none=True) + "\n").encode("utf-8")


def details_from_notice(notice: BreachNotice) -> dict[str, Any]:
    """The details to record on the Département's side, in the questionnaire's shape."""
    data = notice.model_dump(mode="json", exclude_none=True)
    details = {k: data[k] for k in DETAIL_KEYS if k in data}
    details["ongoing"] = bool(notice.ongoing)
    if notice.ongoing is None:
        details["ongoing_unknown"] = True
    details["pending"] = list(notice.pending)
    if notice.delay_reason:
        details["delay_reason"] = notice.delay_reason
    return details


# --- reading one -------------------------------------------------------------------------------------------


def parse_notice(raw: bytes, where: str = "pièce jointe") -> BreachNotice:
    """Read and validate an attachment; raise :class:`NoticeError` in French naming the field."""
    if len(raw) > MAX_NOTICE_BYTES:
        raise NoticeError(f"{where} : {len(raw)} octets, trop gros pour une notification ({MAX_NOTICE_BYTES} au plus)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NoticeError(f"{where} : ce n'est pas du JSON lisible (UTF-8) : {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise NoticeError(f"{where} : un objet JSON est attendu")
    version = data.get("format")
    if version != FORMAT:
        raise NoticeError(
            f"{where} : format « {version} » non pris en charge (attendu « {FORMAT} ») ; "
            "si la structure a une version plus récente de dpa-kit, mettez la vôtre à jour"
        )
    try:
        return BreachNotice.model_validate(data)
    except ValidationError as exc:
        raise NoticeError(_errors_fr(exc, where)) from exc


_MESSAGES_FR = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu du format",
    "string_too_long": "texte trop long",
    "string_too_short": "texte vide",
    "too_long": "liste trop longue",
    "literal_error": "valeur non prévue par le format",
    "enum": "valeur non prévue par le format",
    "string_pattern_mismatch": "forme invalide",
    "timezone_aware": "date et heure sans fuseau horaire",
    "datetime_from_date_parsing": "date et heure illisible",
    "datetime_parsing": "date et heure illisible",
    "datetime_type": "date et heure attendue",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "greater_than_equal": "nombre trop petit",
    "less_than_equal": "nombre trop grand",
    "bool_type": "vrai ou faux attendu",
    "bool_parsing": "vrai ou faux attendu",
    "string_type": "texte attendu",
    "list_type": "liste attendue",
    "model_type": "objet attendu",
    "dict_type": "objet attendu",
}


def _errors_fr(exc: ValidationError, where: str) -> str:
    lines = []
    for error in exc.errors()[:10]:
        field = ".".join(str(p) for p in error["loc"])
        message = _MESSAGES_FR.get(error["type"])
        if message is None:  # our own validators (the SIRET's checksum) already speak French
            message = str(error.get("ctx", {}).get("error") or "valeur invalide")
        lines.append(f"{where} : champ « {field} » : {message}")
    return "\n".join(lines)
