"""The one schema for a source cited by a data file under `data/`.

A medical lead must be able to follow every source to the record itself, so each carries a
stable identifier (DOI, PubMed ID, ClinicalTrials.gov NCT number or an official URL) and says
what kind of source it is. A mirror or copy that was actually read may stay only beside the
identifier, in `copy_read`. Where no stable identifier was found the source says so plainly in
`not_found` and counts as weak: a value resting only on weak sources must be marked for medical
review (`unconfirmed: true`), which the loaders and tests/core/test_data_sources.py enforce.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceKind = Literal[
    "primary_study",  # a peer-reviewed report of the study itself
    "trial_registry",  # a ClinicalTrials.gov (or other registry) record
    "regulator",  # FDA, TGA, DMP/Legemiddelverket, EMA...
    "guideline",  # ICH and other published guidelines, treatment manuals
    "standard",  # terminologies and code systems: LOINC, HL7 FHIR, WHO ATC/DDD
    "developer",  # an instrument's developer or official distributor
    "secondary",  # reviews, news, commentary, quotations in other works
    "community",  # harm-reduction charts, community guides
    "project_notes",  # the project's own research notes (not public)
    "project_decision",  # a choice made by the Holdspace project, not a clinical source
]

KIND_LABELS: dict[str, str] = {
    "primary_study": "primary study",
    "trial_registry": "trial registry record",
    "regulator": "regulator",
    "guideline": "guideline",
    "standard": "standard",
    "developer": "instrument developer",
    "secondary": "secondary",
    "community": "community",
    "project_notes": "project research notes",
    "project_decision": "project decision",
}

# Kinds that cannot carry a clinical rule on their own.
WEAK_KINDS = frozenset({"secondary", "community", "project_notes", "project_decision"})

# Domains known to serve copies of records (mirrors, document dumps, trial-summary
# aggregators). A URL on one of them is allowed only as `copy_read`, never as the source.
MIRROR_DOMAINS = frozenset(
    {
        "togows.dbcls.jp",
        "studyres.com",
        "studylib.net",
        "docslib.org",
        "paperzz.com",
        "docest.com",
        "slidelegend.com",
        "scribd.com",
        "distantreader.org",
        "ouci.dntb.gov.ua",
        "dev.funandflip.com",
        "trials.co",
        "app.neuly.com",
        "meddatax.com",
        "moreblossom.com",
        "inclinicaltrials.com",
        "clinicaltrialexchange.com",
        "zendy.io",
    }
)
MIRROR_PATHS = ("github.com/ejaybennett/healthdata",)

DOI = r"^10\.\d{4,9}/\S+$"
PMID = r"^\d{1,9}$"
NCT = r"^NCT\d{8}$"
HTTP = r"^https?://\S+$"


def is_mirror(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    if any(host == d or host.endswith("." + d) for d in MIRROR_DOMAINS):
        return True
    bare = url.split("://", 1)[-1].lower().removeprefix("www.")
    return any(bare.startswith(p) for p in MIRROR_PATHS)


class Source(BaseModel):
    """One cited source. `id` is used by files that refer to their sources by key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    citation: str = Field(min_length=3)
    kind: SourceKind
    doi: str = Field(default="", pattern=DOI + "|^$")
    pmid: str = Field(default="", pattern=PMID + "|^$")
    nct: str = Field(default="", pattern=NCT + "|^$")
    url: str = Field(default="", pattern=HTTP + "|^$")
    copy_read: str = Field(default="", pattern=HTTP + "|^$")  # a mirror actually read
    not_found: str = ""  # plainly: which identifier was looked for and not found
    licence: str = ""

    @model_validator(mode="after")
    def _identifiable(self) -> Source:
        if self.kind == "project_decision":
            if self.url or self.doi or self.pmid or self.nct:
                raise ValueError("a project decision is cited as such, never as a URL")
            return self
        if self.url and is_mirror(self.url):
            raise ValueError(f"{self.url} is a mirror: cite the record and put it in copy_read")
        if not self.has_identifier and not self.not_found and self.kind != "project_notes":
            raise ValueError("needs a doi, pmid, nct or official url (or say it in not_found)")
        return self

    @property
    def has_identifier(self) -> bool:
        return bool(self.doi or self.pmid or self.nct or self.url)

    @property
    def weak(self) -> bool:
        return self.kind in WEAK_KINDS or not self.has_identifier

    @property
    def link(self) -> str:
        """The best address to follow: DOI, then PubMed, then the registry, then the URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.nct:
            return f"https://clinicaltrials.gov/study/{self.nct}"
        return self.url

    @property
    def identifiers(self) -> str:
        parts = [
            f"doi:{self.doi}" if self.doi else "",
            f"PMID {self.pmid}" if self.pmid else "",
            self.nct,
            self.url,
        ]
        return " · ".join(p for p in parts if p)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def only_weak(sources: Iterable[Source]) -> bool:
    """True when no source is strong enough to carry a clinical rule on its own."""
    listed = list(sources)
    return not listed or all(s.weak for s in listed)
