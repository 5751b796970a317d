"""Annexe 1 text: faithful to the seed, options resolved, letters without gap, no blank left."""

from __future__ import annotations

import difflib
import itertools
import json
import re
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
from conftest import ADIL, BETHUNE, REPO

from dpa_kit.documents.annex import CONTEXT_FIELDS, missing_answers, render, render_markdown
from dpa_kit.documents.markdown import packaged_templates, parse_blocks, plain_text
from dpa_kit.exceptions import NotReady, RenderError
from dpa_kit.loader import load_convention
from dpa_kit.model import Convention
from dpa_kit.words import DRAFT_BANNER

GOLDEN = REPO / "tests" / "golden"
PLACEHOLDERS = [
    "[...]",
    "XXXX",
    "A COMPLETER",
    "À COMPLÉTER",
    "[A ANNEXER ET PERSONNALISER]",
    "[code de conduite, certification]",
    "« Nom dispositif »",
    "Choisir l'une des deux options",
    "Au choix des parties",
    "(Le cas échéant)",
    "Option A",
    "Option B",
    "OPTION 1",
    "OPTION 2",
    "Quelle que soit l'option",
]


def adil() -> Convention:
    return load_convention(ADIL).convention


def variant(base: Convention, **changes: dict) -> Convention:
    """A copy of ``base`` with some blocks replaced, validated again: a new convention (current template)."""
    data = base.model_dump(mode="json", exclude_unset=False)
    data["signed_annex"] = None
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Convention.model_validate(data)


def normalise(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        line = line.replace("**", "").replace("*", "").replace("\\", "")
        line = re.sub(r"^\s*(#+|[-•])\s+", "", line)
        line = " ".join(line.split())
        if line:
            lines.append(line)
    return lines


def text_of(convention: Convention, **kwargs) -> str:
    return plain_text(parse_blocks(render_markdown(convention, **kwargs)))


# --- golden ---------------------------------------------------------------------------------------


def test_adil_renders_the_seed_text_with_only_listed_differences() -> None:
    expected = normalise((GOLDEN / "adil_annex1_seed.txt").read_text(encoding="utf-8"))
    actual = normalise(render_markdown(adil()))
    allowed = json.loads((GOLDEN / "adil_deliberate_differences.json").read_text(encoding="utf-8"))
    added, removed = [], []
    for line in difflib.ndiff(expected, actual):
        if line.startswith("+ "):
            added.append(line[2:])
        elif line.startswith("- "):
            removed.append(line[2:])
    assert added == [d["text"] for d in allowed["added"]]
    assert removed == [d["text"] for d in allowed["removed"]]
    assert all(d["reason"] for d in allowed["added"] + allowed["removed"])


def test_clause_letters_run_without_gap() -> None:
    for convention in (adil(), load_convention(BETHUNE).convention):
        text = text_of(convention)
        section2 = text.split("2- Obligations de l'organisme")[1].split("3- Obligations du département")[0]
        letters = re.findall(r"^([a-z])\) ", section2, flags=re.M)
        assert letters == [chr(ord("a") + i) for i in range(len(letters))]
        assert letters[-1] == "o"
        section3 = text.split("3- Obligations du département")[1]
        assert re.findall(r"^([a-z])\) ", section3, flags=re.M) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("path", [ADIL, BETHUNE])
def test_no_placeholder_or_drafting_instruction_survives(path: Path) -> None:
    blocks = parse_blocks(render_markdown(load_convention(path).convention))
    text = plain_text(blocks)
    for placeholder in PLACEHOLDERS:
        assert placeholder not in text
    # An empty answer after "sont :" : a paragraph ending with a colon must introduce a list.
    for block, following in itertools.pairwise(blocks):
        if block.kind == "paragraph" and block.text.rstrip().endswith(":"):
            assert following.kind == "item", block.text


# --- options --------------------------------------------------------------------------------------


def test_option_b_lists_the_authorised_activities_and_drops_option_a() -> None:
    conv = variant(
        adil(),
        subprocessing={
            "option": "B",
            "objection_period": None,
            "authorised_activities": ["hébergement", "envoi de SMS"],
        },
    )
    text = text_of(conv)
    assert (
        "L'organisme est autorisé à faire appel à un sous-traitant pour mener les activités de traitement suivantes :"
        in text
    )
    assert "hébergement ;\nenvoi de SMS." in text
    assert "l'autorisation écrite, préalable et spécifique du Département" in text
    assert "délai minimum" not in text
    assert "Le sous-traitant est tenu de respecter les obligations du présent contrat" in text


def test_option_b_single_activity_is_inline() -> None:
    conv = variant(adil(), subprocessing={"option": "B", "authorised_activities": ["hébergement"]})
    assert "activités de traitement suivantes : hébergement." in text_of(conv)


def test_subprocessors_are_listed_with_country_and_dates() -> None:
    text = text_of(load_convention(BETHUNE).convention)
    assert (
        "(France) : hébergement des dossiers d'accompagnement, contrat du 1er septembre 2025 au 31 août 2027." in text
    )


def test_security_option_2_with_annex_certification_and_responsibilities() -> None:
    conv = variant(
        adil(),
        security={
            "option": 2,
            "annex": "Annexe 4",
            "certification": "la certification HDS",
            "responsibilities": "le Département gère les habilitations",
        },
    )
    text = text_of(conv)
    assert "L'utilisation de plateformes informatiques présentant les mesures de sécurité à l'état de l'art" in text
    assert (
        "Le respect de l'annexe Sécurité et Confidentialité jointe à la présente convention : Annexe 4, "
        "version du 1er janvier 2026."
    ) in text
    assert (
        "L'organisme s'engage à mettre en œuvre les mesures de sécurité prévues par le référentiel suivant : "
        "la certification HDS."
    ) in text
    assert (
        "les responsabilités de chacune des parties sont réparties comme suit : le Département gère les habilitations."
        in text
    )
    assert "Selon l'annexe Sécurité et Confidentialité, relèvent de l'organisme les mesures « Sensibiliser" in text
    assert "7-zip" not in text


def test_security_option_2_without_responsibilities_fills_them_from_the_matrix() -> None:
    conv = variant(
        adil(), security={"option": 2, "annex": "Annexe 4", "annex_measures": {"version_date": "2026-03-02"}}
    )
    text = text_of(conv)
    assert "il est recommandé de déterminer précisément les responsabilités" not in text
    assert "[A ANNEXER ET PERSONNALISER]" not in text
    assert "jointe à la présente convention : Annexe 4, version du 2 mars 2026." in text
    assert (
        "réparties comme suit, selon l'annexe Sécurité et Confidentialité : relèvent de l'organisme les mesures "
        "« Sensibiliser et former les intervenants » (CNIL-03)"
    ) in text
    assert "du Département et de l'organisme, chacun pour les systèmes qu'il administre, les mesures « Piloter" in text
    assert "mesures de sécurité prévues par" not in text


def test_security_option_2_without_responsibilities_is_a_blank_never_the_drafting_advice() -> None:
    from dpa_kit.security import load_catalogue

    # Every measure of the security annex excluded: no matrix to take the split from.
    excluded = {m.id: {"exclude": True, "reason": "sans objet"} for m in load_catalogue().measures}
    conv = variant(adil(), security={"option": 2, "annex": "Annexe 4", "annex_measures": {"measures": excluded}})
    assert "la répartition des responsabilités de sécurité entre les parties (article 32)" in missing_answers(conv)
    text = text_of(conv, draft=True)
    assert "il est recommandé" not in text
    assert "[À COMPLÉTER : la répartition des responsabilités de sécurité entre les parties (article 32)]" in text
    assert "mesures de sécurité prévues par" not in text


def test_security_option_1_has_no_option_2_items() -> None:
    text = text_of(adil())
    assert "utilisation de 7-zip avec mot de passe" in text
    assert "plateformes informatiques présentant" not in text
    assert "annexe Sécurité et Confidentialité" not in text


def test_extra_security_measures_are_listed() -> None:
    conv = variant(adil(), security={"option": 1, "measures": ["La double authentification"]})
    assert "La double authentification ;" in text_of(conv)


def test_return_to_controller() -> None:
    text = text_of(variant(adil(), data_fate={"action": "return_to_controller"}))
    assert "l'organisme s'engage à renvoyer toutes les données à caractère personnel au Département." in text
    assert "Le renvoi doit s'accompagner de la destruction de toutes les copies existantes" in text
    assert "justifier par écrit de la destruction" in text
    assert "s'engage à détruire" not in text


def test_return_to_named_third_party() -> None:
    text = text_of(variant(adil(), data_fate={"action": "return_to_third_party", "third_party": "l'ADIL 59"}))
    assert "renvoyer les données à caractère personnel à un tiers désigné par le Département : l'ADIL 59." in text
    assert "Le renvoi doit s'accompagner" in text


def test_return_to_third_party_not_yet_known() -> None:
    conv = variant(
        adil(),
        data_fate={
            "action": "return_to_third_party",
            "third_party_information": "Le Département le désignera par écrit",
        },
    )
    text = text_of(conv)
    assert "à un tiers désigné par le Département. Le Département le désignera par écrit." in text


def test_transfers_add_the_register_item_and_the_list() -> None:
    base = adil()
    assert "transferts de données à caractère personnel vers un pays tiers" not in text_of(base)
    conv = variant(
        base, transfers=[{"country": "US", "recipient": "Éditeur SaaS", "safeguards": "clauses contractuelles types"}]
    )
    text = text_of(conv)
    assert "le cas échéant, les transferts de données à caractère personnel vers un pays tiers" in text
    # Transfers are documented instructions (Art. 28(3)(a)): listed under clause b), not in the register clause.
    instructions = text.split("garantir la confidentialité")[0]
    assert (
        "transfert autorisé par le Département hors de l'Union européenne et de l'Espace économique européen : "
        "États-Unis, destinataire Éditeur SaaS, garanties appropriées : clauses contractuelles types ;"
    ) in instructions
    assert "Les transferts de données hors de l'Union européenne prévus" not in text


def test_register_transfers_item_is_kept_for_new_conventions_without_transfers() -> None:
    # It is conditional already ("le cas échéant") and covers transfers that start later (option A).
    text = text_of(variant(adil(), transfers=[]))
    assert "le cas échéant, les transferts de données à caractère personnel vers un pays tiers" in text


def test_adil_renders_its_signed_edition() -> None:
    text = text_of(adil())
    assert "si le titulaire est tenu de procéder à un transfert" in text
    assert "si le pouvoir adjudicateur n'a pas émis d'objection" in text
    assert "justifier par écrit" not in text
    assert "les transferts de données à caractère personnel vers un pays tiers" not in text
    assert not adil().written_attestation_owed


def test_new_conventions_name_the_parties_of_the_convention() -> None:
    text = text_of(variant(adil(), security={"option": 1}))
    assert "titulaire" not in text
    assert "pouvoir adjudicateur" not in text
    assert "si l'organisme est tenu de procéder à un transfert" in text
    assert "si le Département n'a pas émis d'objection pendant le délai convenu" in text
    assert "justifier par écrit de la destruction" in text


def test_subprocessor_outside_the_eea_shows_its_transfer_safeguards() -> None:
    conv = variant(
        adil(),
        subprocessing={
            "option": "B",
            "authorised_activities": ["visioconférence"],
            "subprocessors": [
                {
                    "name": "VisioConnect Inc.",
                    "country": "US",
                    "activities": ["visioconférence"],
                    "safeguards": "clauses contractuelles types 2021/914",
                }
            ],
        },
    )
    text = text_of(conv)
    assert (
        "VisioConnect Inc. (États-Unis) : visioconférence ; sous-traitant établi hors de l'Union européenne et "
        "de l'Espace économique européen, transfert encadré par les garanties suivantes : clauses contractuelles "
        "types 2021/914."
    ) in text


def test_subprocessor_outside_the_eea_without_safeguards_is_a_missing_answer() -> None:
    conv = variant(
        adil(),
        subprocessing={
            "option": "A",
            "objection_period": "3 mois",
            "subprocessors": [{"name": "VisioConnect Inc.", "country": "US", "activities": ["visioconférence"]}],
        },
    )
    assert "les garanties du transfert vers le sous-traitant VisioConnect Inc." in missing_answers(conv)


def test_subprocessor_safeguards_inside_the_eea_are_rendered_too() -> None:
    conv = variant(
        adil(),
        subprocessing={
            "option": "A",
            "objection_period": "3 mois",
            "subprocessors": [
                {
                    "name": "Hébergeur Nord",
                    "country": "FR",
                    "activities": ["hébergement"],
                    "safeguards": "hébergement certifié HDS",
                }
            ],
        },
    )
    assert "Hébergeur Nord (France) : hébergement ; garanties : hébergement certifié HDS." in text_of(conv)


def test_certification_held_by_a_host_is_attributed_to_it() -> None:
    conv = variant(
        adil(),
        security={
            "option": 2,
            "annex": "Annexe 4",
            "certification": "certification HDS",
            "certification_holder": "l'hébergeur Hébergeur Santé Nord",
            "responsibilities": "le Département gère les habilitations",
        },
    )
    text = text_of(conv)
    assert (
        "L'hébergeur Hébergeur Santé Nord, qui intervient pour le compte de l'organisme, met en œuvre les "
        "mesures de sécurité prévues par le référentiel suivant : certification HDS. L'organisme s'assure du "
        "maintien de cette conformité pendant toute la durée de la convention."
    ) in text


def test_breach_delay_of_one_hour_is_singular() -> None:
    conv = variant(adil(), notifications={"breach_delay_hours": 1})
    assert "dans un délai maximum de 1 heure après en avoir pris connaissance" in text_of(conv)


def test_third_party_information_starts_a_sentence_with_a_capital() -> None:
    conv = variant(
        adil(),
        data_fate={
            "action": "return_to_third_party",
            "third_party_information": "le Département le désignera par écrit",
        },
    )
    assert "désigné par le Département. Le Département le désignera par écrit." in text_of(conv)


def test_identification_line_names_the_legal_parties_and_siret() -> None:
    first = text_of(adil()).splitlines()[0]
    assert first == (
        "Convention « Mission prévention des expulsions par l'intermédiaire d'un numéro vert ». Parties : "
        "Département du Pas-de-Calais (responsable de traitement) et Association interdépartementale "
        "d'Information sur le Logement du Nord et du Pas-de-Calais (SIRET 343 097 333 00078, "
        "sous-traitant)."
    )


def test_french_spacing_before_semicolons_in_new_conventions() -> None:
    text = text_of(variant(adil(), security={"option": 1}))
    assert "pour le compte du Département ;" in text
    assert "par l'organisme ;" in text
    assert "de la part de l'organisme ;" in text


def test_data_provided_by_the_departement() -> None:
    assert "met à la disposition de l'organisme" not in text_of(adil())
    conv = variant(adil(), processing={"provided_by_controller": ["la liste des ménages orientés"]})
    assert (
        "le département met à la disposition de l'organisme les informations nécessaires suivantes : "
        "la liste des ménages orientés."
    ) in text_of(conv)


def test_several_purposes_become_a_list() -> None:
    conv = variant(adil(), processing={"purposes": ["informer les ménages.", "orienter vers les services"]})
    text = text_of(conv)
    assert "La ou les finalité(s) du traitement sont :\ninformer les ménages ;\norienter vers les services." in text


def test_sensitive_data_are_named() -> None:
    text = text_of(load_convention(BETHUNE).convention)
    assert "des données hautement personnelles : données de santé." in text


def test_processor_dpo_is_named_when_given() -> None:
    text = text_of(load_convention(BETHUNE).convention)
    assert "le délégué à la protection des données de l'organisme est : Délégué mutualisé" in text
    assert "délégué à la protection des données de l'organisme est" not in text_of(adil())


def test_breach_delay_and_addresses_come_from_the_convention() -> None:
    conv = variant(
        adil(),
        notifications={
            "breach_delay_hours": 12,
            "breach_address": "rgpd@example.fr",
            "rights_requests_address": "droits@example.fr",
        },
    )
    text = text_of(conv)
    assert (
        "dans un délai maximum de 12 heures après en avoir pris connaissance et par le moyen suivant rgpd@example.fr."
        in text
    )
    assert "par courrier électronique à droits@example.fr." in text


def test_markdown_special_characters_in_values_are_literal() -> None:
    conv = variant(adil(), processing={"service": "1. accueil *prioritaire* [niveau_2] # test"})
    text = text_of(conv)
    assert "fournir le service suivant : 1. accueil *prioritaire* [niveau_2] # test." in text


# --- readiness and drafts -------------------------------------------------------------------------


def test_incomplete_convention_is_refused_with_what_is_missing() -> None:
    conv = variant(
        adil(),
        processing={"service": None, "purposes": []},
        security={"option": None},
        subprocessing={"option": "A", "objection_period": None},
    )
    with pytest.raises(NotReady) as info:
        render_markdown(conv)
    assert info.value.missing == [
        "le service",
        "les finalités",
        "le délai d'objection du Département",
        "l'option de sécurité (1 ou 2)",
    ]
    # The library names the fact; the command line adds how to ask for a draft (--draft).
    assert "--draft" not in str(info.value) and "projet" in str(info.value)
    assert missing_answers(conv) == info.value.missing


def test_draft_shows_highlighted_blanks_and_projet() -> None:
    conv = variant(adil(), processing={"service": None})
    rendered = render(conv, draft=True)
    assert rendered.is_draft and rendered.meta.draft
    assert rendered.markdown.startswith(f"**{DRAFT_BANNER}**\n\n")
    blanks = [run.text for block in rendered.blocks for run in block.runs if run.blank]
    assert blanks == ["[À COMPLÉTER : le service]"]
    # The banner is laid out by each writer (page header, top of page), never as a body block.
    assert all(DRAFT_BANNER not in block.text for block in rendered.blocks)


def test_complete_convention_rendered_as_draft_is_not_marked_projet() -> None:
    rendered = render(adil(), draft=True)
    assert not rendered.is_draft
    assert DRAFT_BANNER not in rendered.markdown


# --- templates ------------------------------------------------------------------------------------


def test_user_templates_override_the_packaged_ones(tmp_path: Path) -> None:
    source = (packaged_templates() / "annex1.md.j2").read_text(encoding="utf-8")
    (tmp_path / "annex1.md.j2").write_text(source.replace("**Sous-traitance**", "**Sous-traitance (modèle local)**"))
    assert "Sous-traitance (modèle local)" in text_of(adil(), templates=tmp_path)
    assert "Sous-traitance (modèle local)" not in text_of(adil())


def test_undefined_name_in_a_template_fails_the_render(tmp_path: Path) -> None:
    (tmp_path / "annex1.md.j2").write_text("{{ c.processing.service }} {{ signataire }}\n")
    with pytest.raises(RenderError, match="signataire"):
        render_markdown(adil(), templates=tmp_path)


def test_template_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "annex1.md.j2").write_text("ligne 1\n{% if %}\n")
    with pytest.raises(RenderError, match="ligne 2"):
        render_markdown(adil(), templates=tmp_path)


def test_templates_use_only_the_documented_context() -> None:
    env = jinja2.Environment()
    source = (packaged_templates() / "annex1.md.j2").read_text(encoding="utf-8")
    names = jinja2.meta.find_undeclared_variables(env.parse(source))
    assert names <= set(CONTEXT_FIELDS), names - set(CONTEXT_FIELDS)


def test_template_fields_exist_in_the_model() -> None:
    source = (packaged_templates() / "annex1.md.j2").read_text(encoding="utf-8")
    item_models = {"s": "subprocessing.subprocessors", "t": "transfers"}
    from dpa_kit.loader import _fields_at

    for match in re.finditer(r"\b(c|s|t)\.([a-z_]+(?:\.[a-z_]+)*)", source):
        prefix = () if match.group(1) == "c" else tuple(item_models[match.group(1)].split("."))
        path = (*prefix, *match.group(2).split("."))
        parent, last = path[:-1], path[-1]
        if last in {"value", "omits", "transfer_for"}:  # enum .value, documented Convention methods
            continue
        assert last in _fields_at(Convention, parent), f"template uses unknown field {'.'.join(path)}"


def test_items_of_a_list_end_with_a_spaced_semicolon() -> None:
    from conftest import REGISTERS

    from dpa_kit.documents.annex import render_markdown
    from dpa_kit.loader import load_convention
    from dpa_kit.model import Convention

    data = load_convention(REGISTERS / "2026-DPID-CCAS-BETHUNE-1.2.yaml").convention.model_dump(mode="json")
    first = data["subprocessing"]["subprocessors"][0]
    data["subprocessing"]["subprocessors"].append({**first, "name": "Second hébergeur"})
    text = render_markdown(Convention.model_validate(data), draft=True)
    assert "31 août 2027 ;\n- Second hébergeur" in text  # French typography: a space before « ; »
