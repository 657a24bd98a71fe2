"""The names of the recognizers the refinement rules tell apart, and which of them guess."""

from __future__ import annotations

NER_RECOGNIZER = "SpacyRecognizer"
PARTICIPANT_RECOGNIZER = "ParticipantRecognizer"
COUNTRY_RECOGNIZER = "CountryRecognizer"
LEXICON_RECOGNIZER = "NameLexiconRecognizer"
GAZETTEER_RECOGNIZER = "PlaceGazetteerRecognizer"
CUED_PLACE_RECOGNIZER = "CuedPlaceRecognizer"
CONTEXT_NAME_RECOGNIZER = "PersonContextRecognizer"
CUED_PLACE_SCORE = 0.6
GUESSING_RECOGNIZERS = frozenset({NER_RECOGNIZER, LEXICON_RECOGNIZER})
"""Recognizers that guess a name from its look (the model, the lexicon), not from a cue."""
GUESSING_PLACES = frozenset({NER_RECOGNIZER, GAZETTEER_RECOGNIZER})
"""Recognizers whose place or group a name found elsewhere in the text may overrule."""
