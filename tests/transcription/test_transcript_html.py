"""The transcript's words as the call and review pages show them (built in Python, not a loop
in the template): spans the player follows, marks, and everything escaped."""

from __future__ import annotations

from qc.transcription.export import Turn
from qc.transcription.models import Speaker, TranscriptSegment


def segment(position: int, words: list[tuple[str, float, float, float]]) -> TranscriptSegment:
    return TranscriptSegment(
        position=position,
        speaker=Speaker.AGENT,
        start=words[0][1],
        end=words[-1][2],
        text=" ".join(w[0] for w in words),
        words=[{"word": w, "start": s, "end": e, "probability": p} for w, s, e, p in words],
    )


def test_each_word_is_a_span_with_its_times_confidence_and_marks() -> None:
    turn = Turn(
        Speaker.AGENT,
        [
            segment(0, [("Hello", 0.5, 0.9, 0.98), ("there", 0.9, 1.234, 0.31)]),
            segment(3, [("Acme", 1.5, 2.0, 0.875)]),
        ],
    )
    html = str(turn.words_html({(3, 0): "greeting: company"}))
    assert html == (
        '<span class="w" data-start="0.5" data-end="0.9" title="0.5 s · confidence 98%">Hello</span> '
        '<span class="w low" data-start="0.9" data-end="1.234" title="0.9 s · confidence 31%">there</span> '
        '<span class="w hl" data-start="1.5" data-end="2.0" '
        'title="greeting: company · 1.5 s · confidence 88%">Acme</span> '
    )


def test_words_and_marks_are_escaped() -> None:
    turn = Turn(Speaker.CUSTOMER, [segment(0, [('<img src=x onerror="alert(1)">', 0.0, 1.0, 0.9)])])
    html = str(turn.words_html({(0, 0): 'forbidden: "you\'re <wrong>"'}))
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert 'title="forbidden: &#34;you&#39;re &lt;wrong&gt;&#34; · 0.0 s' in html


def test_no_words_no_spans() -> None:
    assert str(Turn(Speaker.AGENT, [segment(0, [("x", 0.0, 0.1, 0.9)])]).words_html({})).count("<span") == 1
    empty = TranscriptSegment(position=0, speaker=Speaker.AGENT, start=0.0, end=1.0, text="", words=[])
    assert str(Turn(Speaker.AGENT, [empty]).words_html({})) == ""
