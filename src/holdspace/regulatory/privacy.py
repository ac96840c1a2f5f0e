# ruff: noqa: E501 - long translated prose reads better to reviewers unsplit
"""Data protection documents from `regulatory/data-categories.yaml` and `normen.yaml`: a DPIA
template (GDPR Art. 35(7)(a)-(d), structure after WP248 Annex 2) and a record of processing
(Art. 30), in English and Norwegian Bokmål, and the Normen control map. Written anew."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Fields of the template only the clinic can fill in (controller, DPO, its own assessment).
CLINIC_COMPLETES = {"en": "[the clinic completes this]", "nb": "[fylles ut av virksomheten]"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "dpia": "Data protection impact assessment (template)",
        "ropa": "Record of processing activities (template)",
        "intro": "Generated from regulatory/data-categories.yaml; the clinic (controller) completes "
        "the bracketed parts with its DPO. A template, not an assessment: no compliance is claimed.",
        "a": "(a) Systematic description of the processing",
        "purpose": "Purpose: running MDMA-assisted therapy (intake and screening, preparation, "
        "medicine sessions, integration, outcome measures) and, where a study is approved, "
        "research with pseudonymous codes only.",
        "assets": "Assets: the Holdspace server and database, the clinic's network and backups, "
        "staff devices, the client portal; components in var/regulatory/soup.md.",
        "cat": "category",
        "special": "special category (Art. 9)",
        "subjects": "data subjects",
        "examples": "data",
        "retention": "retention",
        "models": "stored in",
        "yes": "yes",
        "no": "no",
        "b": "(b) Necessity and proportionality",
        "b_text": "Lawful basis (Art. 6 and 9(2)(h) or (j)), purpose limitation, minimisation "
        "(researchers see codes, never names or free text), storage limits (above), "
        "information to clients, their access (the portal's access log), rectification "
        "(addenda, never overwrites), processors (Art. 28), transfers outside the EEA.",
        "c": "(c) Risks to the rights and freedoms of clients",
        "c_text": "Illegitimate access, undesired modification and disappearance of data: see the "
        "risk register (var/regulatory/risks.md, HAZ-PRV-01, HAZ-AUD-01, HAZ-SCR-03) and rate "
        "likelihood and severity for this site.",
        "d": "(d) Measures",
        "d_text": "Scoped access by role and care team, second factor for every staff member, "
        "hash-chained audit log, the client's access log in the portal, pseudonymous research "
        "codes, TLS in production (see the Normen control map).",
        "dpo": "The DPO's advice (Art. 35(2)) and the clients' views (Art. 35(9))",
        "controller": "Controller and contact, DPO",
        "recipients": "Recipients: the care team and clinic staff by role; researchers "
        "(pseudonymous codes); authorities where law requires. Transfers outside the EEA: none by "
        "the software.",
        "security": "Security measures: see the Normen control map (normen.md).",
        "normen": "Normen / pasientjournalloven control map",
        "normen_intro": "What a Norwegian clinic must show, what Holdspace supplies, and what "
        "stays the clinic's job. Not legal advice; no compliance is claimed.",
        "control": "control",
        "source": "source",
        "holdspace": "Holdspace",
        "evidence": "evidence",
        "site": "the clinic",
    },
    "nb": {
        "dpia": "Vurdering av personvernkonsekvenser (DPIA, mal)",
        "ropa": "Protokoll over behandlingsaktiviteter (mal)",
        "intro": "Laget fra regulatory/data-categories.yaml; virksomheten (behandlingsansvarlig) "
        "fyller ut delene i klammer sammen med personvernombudet. En mal, ikke en vurdering: "
        "det hevdes ikke at noe regelverk er oppfylt.",
        "a": "(a) Systematisk beskrivelse av behandlingen",
        "purpose": "Formål: gjennomføring av MDMA-assistert terapi (inntak og screening, "
        "forberedelse, medisinsesjoner, integrering, utfallsmål) og, når en studie er godkjent, "
        "forskning med bare pseudonyme koder.",
        "assets": "Eiendeler: Holdspace-serveren og databasen, klinikkens nett og sikkerhetskopier, "
        "ansattes enheter, klientportalen; komponenter i var/regulatory/soup.md.",
        "cat": "kategori",
        "special": "særlig kategori (art. 9)",
        "subjects": "registrerte",
        "examples": "opplysninger",
        "retention": "lagringstid",
        "models": "lagret i",
        "yes": "ja",
        "no": "nei",
        "b": "(b) Nødvendighet og forholdsmessighet",
        "b_text": "Behandlingsgrunnlag (art. 6 og 9 nr. 2 bokstav h eller j), formålsbegrensning, "
        "dataminimering (forskere ser koder, aldri navn eller fritekst), lagringsbegrensning "
        "(over), informasjon til klientene, innsyn (tilgangsloggen i portalen), retting "
        "(tillegg, aldri overskriving), databehandlere (art. 28), overføring ut av EØS.",
        "c": "(c) Risiko for klientenes rettigheter og friheter",
        "c_text": "Uautorisert tilgang, uønsket endring og tap av opplysninger: se risikoregisteret "
        "(var/regulatory/risks.md, HAZ-PRV-01, HAZ-AUD-01, HAZ-SCR-03) og vurder sannsynlighet "
        "og konsekvens for denne virksomheten.",
        "d": "(d) Tiltak",
        "d_text": "Tilgang avgrenset etter rolle og behandlingsteam, andre faktor for alle "
        "ansatte, hash-kjedet revisjonslogg, klientens tilgangslogg i portalen, pseudonyme "
        "forskningskoder, TLS i produksjon (se kontrollkartet for Normen).",
        "dpo": "Personvernombudets råd (art. 35 nr. 2) og de registrertes syn (art. 35 nr. 9)",
        "controller": "Behandlingsansvarlig og kontaktperson, personvernombud",
        "recipients": "Mottakere: behandlingsteamet og klinikkens ansatte etter rolle; forskere "
        "(pseudonyme koder); myndigheter der loven krever det. Overføring ut av EØS: ingen fra "
        "programvaren.",
        "security": "Sikkerhetstiltak: se kontrollkartet for Normen (normen.md).",
        "normen": "Kontrollkart for Normen og pasientjournalloven",
        "normen_intro": "Hva en norsk virksomhet må kunne vise, hva Holdspace gir, og hva som "
        "fortsatt er virksomhetens ansvar. Ikke juridisk rådgivning; det hevdes ikke at noe "
        "regelverk er oppfylt.",
        "control": "kontroll",
        "source": "kilde",
        "holdspace": "Holdspace",
        "evidence": "dokumentasjon",
        "site": "virksomheten",
    },
}


def check(registry: dict[str, Any], labels: set[str]) -> list[str]:
    """Every model has a known category; nothing stale is listed."""
    models: dict[str, str] = registry.get("models") or {}
    categories = set(registry.get("categories") or {})
    errors = [
        f"{label}: no data category in data-categories.yaml"
        for label in sorted(labels - set(models))
    ]
    errors += [f"{label}: listed but no such model" for label in sorted(set(models) - labels)]
    errors += [
        f"{label}: unknown category {cat}"
        for label, cat in sorted(models.items())
        if cat not in categories
    ]
    return errors


def check_normen(normen: dict[str, Any], requirement_ids: set[str], repo: Path) -> list[str]:
    errors = []
    for control in normen.get("controls") or []:
        for ref in control.get("evidence") or []:
            if ref.startswith("REQ-"):
                if ref not in requirement_ids:
                    errors.append(f"{control['id']}: unknown requirement {ref}")
            elif not (repo / ref).exists():
                errors.append(f"{control['id']}: evidence {ref} does not exist")
    return errors


def _category_table(registry: dict[str, Any], lang: str) -> list[str]:
    t = TEXT[lang]
    head = [t["cat"], t["special"], t["subjects"], t["examples"], t["retention"], t["models"]]
    out = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    by_category: dict[str, list[str]] = {}
    for label, category in sorted((registry.get("models") or {}).items()):
        by_category.setdefault(category, []).append(label)
    for key, spec in (registry.get("categories") or {}).items():
        words = spec[lang]
        cells = [
            words["name"],
            t["yes"] if spec.get("special_category") else t["no"],
            words["subjects"],
            words["examples"],
            spec["retention"][lang],
            ", ".join(f"`{m}`" for m in by_category.get(key, [])) or "-",
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


def dpia(registry: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    out = [
        f"# {t['dpia']}",
        "",
        t["intro"],
        "",
        f"## {t['a']}",
        "",
        t["purpose"],
        "",
        t["assets"],
        "",
    ]
    out += _category_table(registry, lang)
    out += ["", f"## {t['b']}", "", t["b_text"], "", CLINIC_COMPLETES[lang], ""]
    out += [f"## {t['c']}", "", t["c_text"], "", CLINIC_COMPLETES[lang], ""]
    out += [f"## {t['d']}", "", t["d_text"], "", CLINIC_COMPLETES[lang], ""]
    out += [f"## {t['dpo']}", "", CLINIC_COMPLETES[lang], ""]
    return "\n".join(out)


def ropa(registry: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    out = [f"# {t['ropa']}", "", t["intro"], "", f"- {t['controller']}: {CLINIC_COMPLETES[lang]}"]
    out += [f"- {t['purpose']}", f"- {t['recipients']}", f"- {t['security']}", ""]
    out += _category_table(registry, lang)
    return "\n".join(out) + "\n"


def normen_map(normen: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    head = ["", t["control"], t["source"], t["holdspace"], t["evidence"], t["site"]]
    out = [f"# {t['normen']}", "", t["normen_intro"], "", "| " + " | ".join(head[1:]) + " |"]
    out.append("|" + " --- |" * (len(head) - 1))
    for c in normen.get("controls") or []:
        cells = [
            f"{c['id']} {c['topic'][lang]}",
            c["source"],
            c["holdspace"][lang],
            ", ".join(c.get("evidence") or []),
            c["site"][lang],
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
