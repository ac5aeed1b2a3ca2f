"""Account numbers no check accepts: an IBAN the ASR got a digit or its letters wrong in.

A phone number has at most 15 digits (E.164), a card number at most 19, a national id at
most 13. A caller who reads out more digits than a card has, or spells a run of letters
and digits as long as an IBAN (15-34 characters, most of them digits), is giving an
account number. When the ASR mishears one digit or letter, or drops the country letters
("IT" heard as "il", "GB" as "T B"), mod-97 fails while the rest of the number stays
readable to anyone with the transcript. Such a run is masked whole, as a guess (any
checked finding on the same words outranks it), with a word of one or two letters right
before it: the country letters as the ASR heard them.

A run of card length that fails Luhn is left to the card rules: it is masked when the
caller called it a card (a 16-digit reference number is not personal data).

Works on the normalised text (`qc.privacy.normalise`), where spoken and split numbers are
already digit groups and spoken letters are capitals.
"""

from __future__ import annotations

import re

from qc.privacy.normalise import Normalised

LONGEST_CARD = 19  # digits
SHORTEST_SPELLED = 18  # letters and digits of a spelled run that passes for an account
FEWEST_DIGITS = 10  # ... of which digits; a spelled word or a name has none

# Digit groups and capital-letter groups (spoken letters, a bank code), one space apart,
# with at most one short word right before: "il 22 X 172 979 671 131 122 157 267".
_RUN = re.compile(
    r"(?<!\S)(?P<prefix>[^\W\d_]{1,2} )?(?P<run>(?:\+?\d+|[A-Z]{1,4})(?: (?:\d+|[A-Z]{1,4}))*)(?!\S)"
)


def account_number_spans(normalised: Normalised) -> list[tuple[int, int]]:
    """(first word, last word) of each run too long for anything but an account number."""
    spans = []
    for match in _RUN.finditer(normalised.text):
        run = match.group("run")
        digits = sum(ch.isdigit() for ch in run)
        letters = sum(ch.isalpha() for ch in run)
        spelled = letters and digits >= FEWEST_DIGITS and digits + letters >= SHORTEST_SPELLED
        if digits > LONGEST_CARD or spelled:
            # The short word before stands for the country letters only when none were heard.
            start = match.start("run") if run[0].isalpha() else match.start()
            words = normalised.words(start, match.end())
            if words is not None:
                spans.append(words)
    return spans
