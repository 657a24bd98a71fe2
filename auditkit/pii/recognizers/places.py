"""Country names: places the small NER model misses, and words that are never a person's name."""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import RecognizerResult

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import TextRecognizer, text_result

COUNTRY_SCORE = 0.6

COUNTRIES = tuple(
    " ".join(name.split())
    for name in """
    Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan
    |Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia
    |Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Cape Verde
    |Chad|Chile|China|Colombia|Comoros|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic
    |Czechia|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|Egypt|El Salvador|England
    |Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana
    |Greece|Greenland|Grenada|Guatemala|Guinea|Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland
    |India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya
    |Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein
    |Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius
    |Mexico|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nauru|Nepal
    |Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman
    |Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal
    |Puerto Rico|Qatar|Romania|Russia|Rwanda|Samoa|San Marino|Saudi Arabia|Scotland|Senegal
    |Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa
    |South Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan
    |Tajikistan|Tanzania|Thailand|Togo|Tonga|Trinidad and Tobago|Tunisia|Turkey|Turkmenistan
    |Tuvalu|Uganda|Ukraine|United Arab Emirates|United Kingdom|United States|Uruguay|Uzbekistan
    |Vanuatu|Vatican City|Venezuela|Vietnam|Wales|Yemen|Zambia|Zimbabwe|USA|UK|UAE
    |Bosnia and Herzegovina|Côte d'Ivoire|Ivory Coast|Great Britain|Britain|Northern Ireland
    |United States of America|Russian Federation|Timor-Leste|East Timor|Equatorial Guinea
    |Guinea-Bissau|Central African Republic|Saint Lucia|Saint Kitts and Nevis
    |Saint Vincent and the Grenadines|Antigua and Barbuda|São Tomé and Príncipe
    |Sao Tome and Principe|Marshall Islands|Solomon Islands|Micronesia|Macedonia|Burma
    |Viet Nam|Holland|Bermuda|Gibraltar|Isle of Man|Faroe Islands|Aruba|Curaçao
    |Guam|Montserrat|Anguilla|Cayman Islands|Macau|Macao|New Caledonia|French Polynesia
    |Réunion|Martinique|Guadeloupe|Western Sahara|French Guiana|Åland Islands
    """.replace("\n", " ").split("|")
)
"""Sovereign states (and the UK's nations), their common other English names and the
inhabited territories, in English; written capitalised (or, in an address, upper case)."""

COUNTRY_WORDS = frozenset(word.lower() for name in COUNTRIES for word in name.split())
_COUNTRY = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(
        re.escape(c)
        for c in sorted(
            {*COUNTRIES, *(c.upper() for c in COUNTRIES if len(c) > 3)}, key=len, reverse=True
        )
    )
    + r")(?![\w-])"
)


class CountryRecognizer(TextRecognizer):
    """Finds country names as ``LOCATION`` (capitalised, whole words)."""

    ENTITY = EntityType.LOCATION

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Every country name in ``text``."""
        if entities and EntityType.LOCATION not in entities:
            return []
        return [
            text_result(
                self, EntityType.LOCATION, match.start(), match.end(), COUNTRY_SCORE, "country"
            )
            for match in _COUNTRY.finditer(text)
        ]
