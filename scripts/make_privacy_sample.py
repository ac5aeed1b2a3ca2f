"""Generate the demo's privacy call: a customer gives an e-mail address, a phone number
and a card number, spoken as people say them, so the demo shows them masked in the
transcript and beeped in the recording.

Spoken by espeak-ng and mixed by sox exactly as the other sample calls
(`scripts/make_sample_calls.py`); writes `qc/demo/samples/privacy/` (the recording and
`privacy.json` with each turn's text and timing).

Run: `python scripts/make_privacy_sample.py` (needs espeak-ng and sox on PATH).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_sample_calls", ROOT / "scripts" / "make_sample_calls.py")
assert _spec and _spec.loader
samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(samples)

A, C = samples.A, samples.C
CALL = {
    "file": "privacy/en-inbound-details.ogg",
    "language": "en",
    "channels": "agent-left",
    "rate": 16000,
    "direction": "inbound",
    "rep": 0,
    "voices": {A: "en-us+f3", C: "en-gb+m3"},
    "turns": [
        (A, "Thank you for calling Acme support, my name is Laura. How can I help you?"),
        (C, "Hi Laura, I would like to update my contact details, please."),
        (A, "Of course. What is your new e-mail address?"),
        (C, "It is maria dot rossi at example dot com."),
        (A, "Thank you. And the best phone number to reach you?"),
        (C, "Plus four four seven nine one one, one two three four five six."),
        (A, "Got it. For the refund, I also need the card number, please."),
        (C, "Four one one one, one one one one, one one one one, one one one one."),
        (A, "Thank you, everything is updated. Is there anything else I can help you with?"),
        (C, "No, that is all. Thanks for your help."),
    ],
}


def main() -> None:
    (samples.OUT / "privacy").mkdir(parents=True, exist_ok=True)
    built = samples.build(CALL, np.random.default_rng(samples.SEED))
    (samples.OUT / "privacy" / "privacy.json").write_text(
        json.dumps(built, ensure_ascii=False, indent=1) + "\n"
    )
    print(f"{built['file']}: {built['duration_s']} s")


if __name__ == "__main__":
    main()
