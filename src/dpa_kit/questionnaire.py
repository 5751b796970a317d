"""The « Nouvelle convention » questionnaire, as data: the terminal (``dpa-kit new``) and the web form ask
the same questions, validate the same way and write the same file.

An edge loops ``question = next_question(answers)``; shows ``question.label`` (the field's label in
:mod:`dpa_kit.labels`), its numbered ``choices`` with their plain-French explanation, its ``help`` and its
proposed ``default``; calls
``validate(question, text, answers, context)``, which returns the value to store or raises
:class:`~dpa_kit.exceptions.InvalidValue` (``field`` = the question's key) with the French reason to show
before asking again. When ``next_question`` returns None, :func:`write_convention` writes a readable YAML
file with French comments, which :func:`dpa_kit.loader.load_convention` loads and
:func:`dpa_kit.checks.verdict` judges. The parties of the Département come from ``defaults.yaml``
(:func:`parties`), never asked again. :func:`edit_convention` changes an existing file from answers while
keeping its comments (ruamel round trip).

Answer keys are the dotted paths of the convention (``processor.siret``); values are what the YAML file
holds (text, lists, ISO dates, ``None`` for « aucun DPO »).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dpa_kit import yamlio
from dpa_kit.countries import COUNTRY_NAMES_FR, EU_EEA
from dpa_kit.exceptions import InvalidValue, UsageError
from dpa_kit.labels import label as field_label
from dpa_kit.loader import Defaults, SourceMap
from dpa_kit.loader import validate as validate_model
from dpa_kit.model import FORMAT, SENSITIVE_LABELS, SensitiveData, siret_is_valid

__all__ = [
    "MAX_ANSWER",
    "NONE_WORDS",
    "QUESTIONS",
    "QUESTIONS_BY_KEY",
    "Choice",
    "Context",
    "Question",
    "answer_text",
    "answers_from_data",
    "build_document",
    "edit_convention",
    "next_question",
    "parties",
    "validate",
    "validate_all",
    "write_convention",
]

#: What a person types for an empty list or « pas de DPO ».
NONE_WORDS = {"aucun", "aucune", "néant", "neant", "non", "pas de dpo", "rien", "-"}

#: A convention's answer is a sentence or a short list; a whole document pasted by mistake is refused.
MAX_ANSWER = 5000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


@dataclass(frozen=True)
class Choice:
    """One numbered choice: the stored ``value``, its French ``label`` and what it means in plain words."""

    value: str
    label: str
    explanation: str = ""


@dataclass(frozen=True)
class Question:
    """One question: ``key`` is the field path written in the convention file.

    Its :attr:`label` is the field's French label from the one catalogue (:mod:`dpa_kit.labels`), the name
    that messages, the JSON Schema and the web forms give the field; ``help`` says what to answer.
    """

    key: str
    kind: str = "text"  # text, list, siret, date, choice, multichoice, dpo, subprocessors, transfers, id
    help: str = ""
    required: bool = True
    choices: tuple[Choice, ...] = ()
    default: str | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """« Traitement › service fourni »: the field's label in the catalogue."""
        return field_label(self.key) or self.key

    def asked(self, answers: Mapping[str, Any]) -> bool:
        """Whether this question applies given the answers so far (option B has no objection period...)."""
        return self.when is None or self.when(answers)


@dataclass(frozen=True)
class Context:
    """What validation needs besides the answers: the ids already used in the folder."""

    existing_ids: frozenset[str] = frozenset()


_LIST_HELP = "Une réponse par ligne, ou séparées par « ; »."
_DATE_HELP = "Date au format JJ/MM/AAAA."

QUESTIONS: tuple[Question, ...] = (
    Question(
        "id",
        "id",
        "Lettres, chiffres, « . », « _ » et « - » ; il sert de nom au fichier. Exemple : 2027-FSL-ADIL.",
    ),
    Question("title", help="L'intitulé de l'opération financée, tel que la convention l'écrit."),
    Question("dispositif", help="Son numéro dans l'appel à projets. Exemple : 2.2", required=False),
    Question("processor.name", help="La raison sociale de la structure."),
    Question(
        "processor.short_name",
        required=False,
        help="Utilisé dans l'annexe à la place du nom complet. Exemple : ADIL du Pas-de-Calais",
    ),
    Question(
        "processor.siret", "siret", "14 chiffres, sur l'avis de situation INSEE ou annuaire-entreprises.data.gouv.fr."
    ),
    Question("processor.address", help="Numéro, rue, code postal et commune. Exemple : 1 rue de la Paix, 62000 Arras"),
    Question("processor.representative.name", help="Prénom et NOM du représentant légal de la structure."),
    Question("processor.representative.role", help="Président, Directrice..."),
    Question(
        "processor.dpo",
        "dpo",
        "Son courriel, ou « Nom, courriel » ; « aucun » si la structure n'en a pas désigné.",
    ),
    Question("period.start", "date", _DATE_HELP),
    Question("period.end", "date", _DATE_HELP),
    Question(
        "processing.service",
        help="Quel service la structure rend-elle ? En une phrase. Exemple : accompagnement social lié au logement.",
    ),
    Question(
        "processing.operations",
        help="Que fait-elle des données ? Exemple : collecte, consultation, échanges avec le Département, "
        "conservation.",
    ),
    Question("processing.purposes", "list", "Pourquoi les données sont traitées. " + _LIST_HELP),
    Question(
        "processing.data_categories",
        "list",
        "Les données personnelles traitées. " + _LIST_HELP + " Exemple : noms ; adresse ; situation familiale.",
    ),
    Question(
        "processing.sensitive_data",
        "multichoice",
        "Les numéros des catégories concernées, séparés par des espaces, ou « aucune ».",
        choices=tuple(Choice(item.value, SENSITIVE_LABELS[item]) for item in SensitiveData),
    ),
    Question(
        "processing.data_subjects",
        "list",
        "De qui sont les données. " + _LIST_HELP + " Exemple : ménages accompagnés.",
    ),
    Question(
        "subprocessing.option",
        "choice",
        "Sous-traitance ultérieure : quelle option de l'annexe ?",
        choices=(
            Choice(
                "A",
                "Option A : autorisation générale",
                "La structure peut faire appel à d'autres prestataires (éditeur de logiciel, hébergeur) "
                "en prévenant le Département, qui dispose d'un délai pour s'y opposer.",
            ),
            Choice(
                "B",
                "Option B : autorisation spécifique",
                "La structure ne peut confier que les activités listées dans l'annexe ; tout autre "
                "prestataire demande l'accord écrit préalable du Département.",
            ),
        ),
    ),
    Question(
        "subprocessing.objection_period",
        help="Le délai dont le Département dispose pour s'opposer à un nouveau sous-traitant (option A).",
        default="3 mois",
        when=lambda a: a.get("subprocessing.option") == "A",
    ),
    Question(
        "subprocessing.authorised_activities",
        "list",
        "Les activités que la structure peut sous-traiter (option B). " + _LIST_HELP,
        when=lambda a: a.get("subprocessing.option") == "B",
    ),
    Question(
        "subprocessing.subprocessors",
        "subprocessors",
        "Les sous-traitants ultérieurs de la structure : « Nom (PAYS) : ce qu'il fait » pour chacun, séparés par "
        "« ; » (exemple : Logiciel Social SAS (FR) : hébergement du logiciel de suivi), ou « aucun ».",
        required=False,
    ),
    Question(
        "transfers",
        "transfers",
        "Les transferts de données hors de l'Union européenne : « PAYS, destinataire, garanties » pour chacun, "
        "séparés par « ; » (exemple : US, Hébergeur Inc, clauses contractuelles types), ou « aucun ».",
        required=False,
    ),
    Question(
        "security.option",
        "choice",
        "Mesures de sécurité : quelle option de l'annexe ?",
        choices=(
            Choice(
                "1",
                "Option 1 : échanges très limités",
                "Quelques échanges ponctuels avec le Département, sans plateforme ni logiciel partagé : "
                "les mesures de sécurité de l'annexe suffisent.",
            ),
            Choice(
                "2",
                "Option 2 : autres cas",
                "La structure utilise une plateforme ou un logiciel métier : une annexe « Sécurité et "
                "Confidentialité » est jointe et les responsabilités sont réparties.",
            ),
        ),
    ),
    Question(
        "security.annex",
        help="La référence de l'annexe de sécurité jointe (option 2).",
        default="Annexe 4 - Sécurité et Confidentialité",
        when=lambda a: a.get("security.option") == 2,
    ),
    Question(
        "security.responsibilities",
        help="Qui a la charge de quelle mesure (article 32 RGPD). "
        "Exemple : la structure sécurise ses postes ; l'éditeur héberge et sauvegarde.",
        when=lambda a: a.get("security.option") == 2,
    ),
    Question(
        "data_fate.action",
        "choice",
        "Ce que deviennent les données à la fin de la convention.",
        choices=(
            Choice("destroy", "Destruction", "La structure détruit les données et en justifie par écrit."),
            Choice(
                "return_to_controller",
                "Restitution au Département",
                "La structure rend toutes les données au Département, puis détruit ses copies.",
            ),
            Choice(
                "return_to_third_party",
                "Restitution à un tiers",
                "La structure remet les données à un tiers désigné par le Département, puis détruit ses copies.",
            ),
        ),
    ),
    Question(
        "data_fate.third_party",
        help="Le tiers désigné par le Département pour recevoir les données.",
        when=lambda a: a.get("data_fate.action") == "return_to_third_party",
    ),
)

QUESTIONS_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}


# --- asking ---------------------------------------------------------------------------------------------


def next_question(answers: Mapping[str, Any]) -> Question | None:
    """The first applicable question not answered yet, or None when the questionnaire is complete."""
    for question in QUESTIONS:
        if question.asked(answers) and question.key not in answers:
            return question
    return None


def parties(defaults: Defaults) -> list[str]:
    """The Département's side, from ``defaults.yaml``, as French lines to show before the questions."""
    data = defaults.data
    controller = data.get("controller") or {}
    lines = []
    if controller.get("name"):
        lines.append(f"Responsable de traitement : {controller['name']}")
    representative = controller.get("representative") or {}
    if representative.get("name"):
        lines.append(f"Représenté par : {representative['name']}, {representative.get('role') or ''}".rstrip(", "))
    dpo = controller.get("dpo") or {}
    if dpo.get("email"):
        lines.append(f"Délégué à la protection des données : {dpo['email']}")
    return lines


# --- validating -----------------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


def _date(question: Question, text: str) -> str:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise InvalidValue(
        f"date illisible « {text} » : écrivez-la au format JJ/MM/AAAA (exemple : 31/12/2027)", question.key
    )


def _siret(question: Question, text: str) -> str:
    digits = re.sub(r"[\s.]", "", text)
    if not re.fullmatch(r"\d{14}", digits):
        count = len(re.sub(r"\D", "", text))
        raise InvalidValue(f"un SIRET compte 14 chiffres ; « {text} » en compte {count}", question.key)
    if not siret_is_valid(digits):
        raise InvalidValue(
            f"le SIRET « {digits} » est invalide (clé de contrôle fausse) : vérifiez-le sur l'avis de situation "
            "INSEE ou annuaire-entreprises.data.gouv.fr",
            question.key,
        )
    return digits


def _country(question: Question, text: str) -> str:
    code = text.strip().upper()
    if code not in COUNTRY_NAMES_FR:
        raise InvalidValue(f"« {text} » n'est pas un code pays à deux lettres (exemples : FR, DE, US)", question.key)
    return code


def _choice(question: Question, text: str) -> str:
    for index, choice in enumerate(question.choices, start=1):
        if text == str(index) or text.casefold() in {choice.value.casefold(), choice.label.casefold()}:
            return choice.value
    numbers = ", ".join(str(i) for i in range(1, len(question.choices) + 1))
    raise InvalidValue(f"réponse « {text} » non comprise : tapez le numéro d'une option ({numbers})", question.key)


def validate(
    question: Question, text: str, answers: Mapping[str, Any] | None = None, context: Context | None = None
) -> Any:
    """The value to store for ``text`` typed in answer to ``question``; InvalidValue in French otherwise."""
    answers = answers or {}
    context = context or Context()
    text = (text or "").strip()
    if len(text) > MAX_ANSWER:
        raise InvalidValue(f"réponse trop longue ({len(text)} caractères, {MAX_ANSWER} au plus)", question.key)
    if _CONTROL.search(text):
        raise InvalidValue(
            "caractère de contrôle interdit dans la réponse (copié-collé d'un autre logiciel ?)", question.key
        )
    if not text and question.default is not None:
        text = question.default
    if not text:
        if question.required:
            raise InvalidValue("réponse obligatoire", question.key)
        return [] if question.kind in {"list", "multichoice", "subprocessors", "transfers"} else None
    kind = question.kind
    if kind == "id":
        if not _ID.fullmatch(text):
            raise InvalidValue(
                "identifiant invalide : lettres, chiffres, « . », « _ » et « - » seulement, "
                "sans espace (exemple : 2027-FSL-ADIL)",
                question.key,
            )
        if text in context.existing_ids:
            raise InvalidValue(
                f"une convention « {text} » existe déjà dans le dossier : choisissez un autre identifiant", question.key
            )
        return text
    if kind == "siret":
        return _siret(question, text)
    if kind == "date":
        value = _date(question, text)
        start = answers.get("period.start")
        if question.key == "period.end" and start and value < start:
            raise InvalidValue(f"la fin ({_fr_date(value)}) précède le début ({_fr_date(start)})", question.key)
        return value
    if kind == "choice":
        value = _choice(question, text)
        return int(value) if question.key == "security.option" else value
    none = text.casefold() in NONE_WORDS
    if kind == "list":
        if none:
            if question.required:
                raise InvalidValue("au moins une réponse est attendue", question.key)
            return []
        return _split(text)
    if kind == "multichoice":
        if none:
            return []
        values = []
        for part in re.split(r"[\s,;]+", text):
            values.append(_choice(question, part))
        return list(dict.fromkeys(values))
    if kind == "dpo":
        if none:
            return None
        name, _, email = text.rpartition(",")
        email = email.strip()
        if not _EMAIL.fullmatch(email):
            raise InvalidValue(
                f"courriel du DPO illisible « {email} » : écrivez « Nom, courriel » ou le courriel seul, ou « aucun »",
                question.key,
            )
        return {"name": name.strip(), "email": email} if name.strip() else {"email": email}
    if kind == "subprocessors":
        if none:
            return []
        found = []
        for part in _split(text):
            who, _, activities = part.partition(":")
            if not activities.strip():
                raise InvalidValue(
                    f"sous-traitant « {who.strip()} » : indiquez ce qu'il fait après « : » "
                    "(exemple : Logiciel Social SAS (FR) : hébergement)",
                    question.key,
                )
            match = re.fullmatch(r"(.+?)\s*\(\s*([A-Za-z]{2})\s*\)", who.strip())
            name, country = (match.group(1), _country(question, match.group(2))) if match else (who, "FR")
            found.append(
                {
                    "name": name.strip(),
                    "country": country,
                    "activities": [a.strip() for a in activities.split(",") if a.strip()],
                }
            )
        return found
    if kind == "transfers":
        if none:
            return []
        found = []
        for part in _split(text):
            pieces = [p.strip() for p in part.split(",", 2)]
            if len(pieces) < 2 or not pieces[1]:
                raise InvalidValue(
                    f"transfert « {part} » incomplet : écrivez « PAYS, destinataire, garanties »", question.key
                )
            country = _country(question, pieces[0])
            if country in EU_EEA:
                raise InvalidValue(
                    f"{COUNTRY_NAMES_FR[country]} est dans l'Union européenne ou l'EEE : ce n'est pas un transfert",
                    question.key,
                )
            item: dict[str, Any] = {"country": country, "recipient": pieces[1]}
            if len(pieces) == 3 and pieces[2]:
                item["safeguards"] = pieces[2]
            found.append(item)
        return found
    return text


def validate_all(texts: Mapping[str, str], context: Context | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a whole form at once: the answers accepted and, per question key, the French error."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in QUESTIONS:
        if not question.asked(answers):
            continue
        try:
            answers[question.key] = validate(question, texts.get(question.key, ""), answers, context)
        except InvalidValue as exc:
            errors[question.key] = str(exc)
    return answers, errors


def _fr_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def answer_text(question: Question, value: Any) -> str:
    """An answer written back as a person would type it (to prefill a form or show a summary)."""
    if value is None:
        return "aucun" if question.kind == "dpo" else ""
    if question.kind == "date":
        return _fr_date(str(value))
    if question.kind == "list":
        return "\n".join(value)
    if question.kind == "multichoice":
        numbers = {c.value: str(i) for i, c in enumerate(question.choices, start=1)}
        return " ".join(numbers[v] for v in value) if value else "aucune"
    if question.kind == "dpo":
        return f"{value['name']}, {value['email']}" if value.get("name") else str(value.get("email", ""))
    if question.kind == "subprocessors":
        return (
            "; ".join(
                f"{s['name']} ({s.get('country') or 'FR'}) : {', '.join(s.get('activities') or [])}" for s in value
            )
            if value
            else "aucun"
        )
    if question.kind == "transfers":
        return (
            "; ".join(
                ", ".join(filter(None, (t.get("country"), t.get("recipient"), t.get("safeguards")))) for t in value
            )
            if value
            else "aucun"
        )
    if question.kind == "choice":
        return str(value)
    return str(value)


def answers_from_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a convention file holds (plain values read by yamlio), to prefill the edit form."""
    answers: dict[str, Any] = {}
    for question in QUESTIONS:
        node: Any = data
        for part in question.key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, date):
            node = node.isoformat()
        if node is not None or question.kind == "dpo":
            answers[question.key] = node
    return answers


# --- writing ----------------------------------------------------------------------------------------------

_SECTION_COMMENTS = {
    "period": "Période d'application de la convention (article 3), jours inclus.",
    "processor": "La structure financée, sous-traitante au sens du RGPD (« l'organisme » dans l'annexe).",
    "processing": "Section 1 de l'annexe : le traitement confié à la structure.",
    "subprocessing": "Sous-traitance ultérieure : option A (autorisation générale) ou B (spécifique).",
    "transfers": "Transferts hors de l'Union européenne (vide : aucun).",
    "security": "Mesures de sécurité : option 1 (échanges très limités) ou 2 (autres cas).",
    "data_fate": "Sort des données à la fin de la convention : destroy (destruction), return_to_controller\n"
    "(restitution au Département) ou return_to_third_party (restitution à un tiers).",
}

_HEADER = (
    "# Convention créée avec le questionnaire « Nouvelle convention » de dpa-kit. Le Département (nom,\n"
    "# représentant, DPO, adresses de notification) vient de defaults.yaml, dans le même dossier.\n"
)

_ORDER = (
    "format",
    "id",
    "title",
    "dispositif",
    "period",
    "processor",
    "processing",
    "subprocessing",
    "transfers",
    "security",
    "data_fate",
)
_DEFAULT_BLOCKS: dict[str, dict[str, Any]] = {
    "processing": {"sensitive_data": [], "provided_by_controller": []},
    "subprocessing": {"subprocessors": []},
}


def _nest(answers: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"format": FORMAT}
    for question in QUESTIONS:
        if question.key not in answers or not question.asked(answers):
            continue
        value = answers[question.key]
        if value is None and question.kind != "dpo":
            continue
        parts = question.key.split(".")
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    for block, extra in _DEFAULT_BLOCKS.items():
        if block in data:
            for key, value in extra.items():
                data[block].setdefault(key, value)
    return data


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _commented(item)
        return out
    if isinstance(value, list):
        return CommentedSeq([_commented(item) for item in value])
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    return value


def build_document(answers: Mapping[str, Any]) -> CommentedMap:
    """The round-trip tree of a new convention from the answers, in the usual key order, with comments."""
    data = _nest(answers)
    tree = CommentedMap()
    for key in _ORDER:
        if key in data:
            tree[key] = _commented(data[key])
    if "dispositif" in tree:
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        tree["dispositif"] = DoubleQuotedScalarString(str(tree["dispositif"]))
    siret = tree.get("processor", {}).get("siret") if isinstance(tree.get("processor"), dict) else None
    if siret:
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        tree["processor"]["siret"] = DoubleQuotedScalarString(siret)
    for key, comment in _SECTION_COMMENTS.items():
        if key in tree:
            tree.yaml_set_comment_before_after_key(key, before=comment)
    return tree


def _check_model(text: str, path: Path, defaults: Defaults | None) -> None:
    from dpa_kit.loader import _merge

    document = yamlio.parse(text, path)
    data = _merge(defaults.data, document.data) if defaults else document.data
    validate_model(data, SourceMap(path, document.lines))


def write_convention(folder: Path, answers: Mapping[str, Any], defaults: Defaults | None = None) -> Path:
    """Write ``folder/<id>.yaml`` from complete answers; refuse to overwrite an existing convention."""
    missing = next_question(answers)
    if missing is not None:
        raise InvalidValue(f"réponse manquante : {missing.label}", missing.key)
    folder = Path(folder)
    path = folder / f"{answers['id']}.yaml"
    if path.exists():
        raise UsageError(f"{path} existe déjà : choisissez un autre identifiant")
    text = yamlio.dumps(build_document(answers), _HEADER)
    _check_model(text, path, defaults)
    folder.mkdir(parents=True, exist_ok=True)
    from dpa_kit.fsutil import atomic_write

    atomic_write(path, text.encode("utf-8"))
    return path


def _set(tree: CommentedMap, key: str, value: Any) -> None:
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = CommentedMap()
        node = node[part]
    if value is None and parts[-1] != "dpo":
        node.pop(parts[-1], None)
        return
    if parts[-1] == "siret" and value:
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        value = DoubleQuotedScalarString(value)
    node[parts[-1]] = _commented(value)


def edit_convention(path: Path, changes: Mapping[str, Any], defaults: Defaults | None = None) -> None:
    """Change answers of an existing convention file, keeping its comments and key order.

    ``changes`` maps question keys to validated values (see :func:`validate`); the identifier cannot change.
    The result is validated as a convention before the file is replaced; a read-only file (a signed
    convention) is refused.
    """
    path = Path(path)
    if "id" in changes:
        raise InvalidValue("l'identifiant d'une convention ne change pas ; créez-en une nouvelle", "id")
    unknown = [key for key in changes if key not in QUESTIONS_BY_KEY]
    if unknown:
        raise InvalidValue(f"question inconnue « {unknown[0]} »", unknown[0])
    import stat

    if path.is_file() and not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise UsageError(f"{path} : convention signée ou protégée en écriture, elle ne se modifie plus")
    document = yamlio.read(path)
    tree = document.tree
    for key, value in changes.items():
        _set(tree, key, value)
    text = yamlio.dumps(tree)
    _check_model(text, path, defaults)
    from dpa_kit.fsutil import atomic_write

    atomic_write(path, text.encode("utf-8"))
