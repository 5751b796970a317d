"""Country codes (ISO 3166-1 alpha-2) with their French names, and the EU/EEA membership rules.

Names come from the CLDR data shipped with Babel, loaded on first use so that commands that never
meet a country do not pay for it.
"""

from __future__ import annotations

from functools import cache

__all__ = [
    "COUNTRY_NAMES_FR",
    "EU_EEA",
    "country_name",
    "is_eu_eea",
]

# European Union (27) plus the three EEA states: transfers inside this area are not "outside the EU".
EU_EEA = frozenset(
    ("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO").split()
)

# Countries with an adequacy decision of the European Commission (Art. 45 GDPR), as of 2026: Andorra,
# Argentina, Canada (commercial organisations), Faroe Islands, Guernsey, Israel, Isle of Man, Japan,
# Jersey, New Zealand, Republic of Korea, Switzerland, United Kingdom, Uruguay. The United States are
# left out: the EU-US Data Privacy Framework covers only certified organisations, so a transfer there
# needs its own safeguards unless the recipient is certified.
ADEQUATE = frozenset(["AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"])

#: Every ISO 3166-1 alpha-2 code CLDR names (what ``COUNTRY_NAMES_FR`` holds), written out so that checking a
#: code does not load Babel (~35 ms at start-up); ``tests/test_labels.py`` checks it against Babel's list.
ISO_CODES = frozenset(
    (
        "AC AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
        "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CQ CR CU CV CW CX CY CZ DE DG DJ DK DM "
        "DO DZ EA EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT "
        "GU GW GY HK HM HN HR HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR "
        "KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU "
        "MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
        "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TF TG "
        "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM "
        "ZW"
    ).split()
)

# CLDR lists a few two-letter codes that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def _names() -> dict[str, str]:
    from babel import Locale

    territories = Locale.parse("fr").territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


class _LazyNames:
    """A read-only mapping view that loads the names on first use."""

    def __contains__(self, code: object) -> bool:
        return code in ISO_CODES

    def __getitem__(self, code: str) -> str:
        return _names()[code]

    def get(self, code: str, default: str | None = None) -> str | None:
        return _names().get(code, default)


COUNTRY_NAMES_FR = _LazyNames()


def country_name(code: str) -> str:
    """The French name of a country code, or the code itself if unknown."""
    return _names().get(code, code)


def is_eu_eea(code: str) -> bool:
    """True when a transfer to this country stays inside the EU/EEA."""
    return code in EU_EEA


def has_adequacy(code: str) -> bool:
    """True when the country is in the EU/EEA or covered by an adequacy decision (Art. 45 GDPR)."""
    return code in EU_EEA or code in ADEQUATE
