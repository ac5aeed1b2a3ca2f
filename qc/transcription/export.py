"""Transcript downloads: JSON (the API shape), plain text with speakers, WebVTT."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from qc.kit.timeutil import format_clock, format_timestamp
from qc.transcription.models import Speaker, Transcript, TranscriptSegment
from qc.transcription.schemas import transcript_read

FORMATS = {
    "json": ("application/json", "json"),
    "txt": ("text/plain; charset=utf-8", "txt"),
    "vtt": ("text/vtt; charset=utf-8", "vtt"),
}


def to_json(transcript: Transcript) -> str:
    return transcript_read(transcript).model_dump_json(indent=2)


def to_text(transcript: Transcript) -> str:
    """One line per speaker turn: `[0:05] Agent: Good morning...`."""
    lines = []
    if not transcript.speakers_separated:
        lines.append("# Speakers not separated (mono recording)")
    for turn in turns(transcript):
        lines.append(f"[{format_clock(turn.start)}] {turn.speaker.label}: {turn.text}")
    return "\n".join(lines) + "\n"


def to_vtt(transcript: Transcript) -> str:
    cues = ["WEBVTT", ""]
    for segment in transcript.segments:
        start, end = format_timestamp(segment.start), format_timestamp(max(segment.end, segment.start + 0.01))
        text = " ".join(segment.text.split())  # a blank line would end the cue
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        cues += [f"{start} --> {end}", f"<v {segment.speaker.label}>{text}", ""]
    return "\n".join(cues)


class Turn:
    """Consecutive segments of one speaker, as shown on the call page."""

    def __init__(self, speaker: Speaker, segments: list[TranscriptSegment]) -> None:
        self.speaker = speaker
        self.segments = segments

    @property
    def start(self) -> float:
        return float(self.segments[0].start)

    @property
    def end(self) -> float:
        return float(self.segments[-1].end)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def words_html(self, highlights: Mapping[tuple[int, int], str]) -> Markup:
        """The turn's words as the transcript shows them: one span per word, for the player
        to follow and seek, marked when the confidence is low or the word is a check's
        evidence (`highlights`: (segment position, word index) -> what it is evidence of);
        a number written in digits says in its title what was said ("four one one one").

        Built here rather than in a template loop: a five-minute call has about a thousand
        words, and the loop cost the call and review pages most of their time.
        """
        parts: list[str] = []
        for segment in self.segments:
            for index, word in enumerate(segment.words):
                mark = highlights.get((segment.position, index))
                probability = word["probability"]
                classes = "w low" if probability < 0.5 else "w"
                title = f"{round(word['start'], 2)} s · confidence {round(probability * 100)}%"
                if word.get("spoken"):  # a number written in digits: what was said
                    title = f"said “{escape(word['spoken'])}” · {title}"
                if mark:
                    classes += " hl"
                    title = f"{escape(mark)} · {title}"
                parts.append(
                    f'<span class="{classes}" data-start="{word["start"]}" data-end="{word["end"]}" '
                    f'title="{title}">{escape(word["word"])}</span> '
                )
        return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)


def turns(transcript: Transcript) -> list[Turn]:
    result: list[Turn] = []
    for segment in transcript.segments:
        if result and result[-1].speaker is segment.speaker:
            result[-1].segments.append(segment)
        else:
            result.append(Turn(segment.speaker, [segment]))
    return result


def render(transcript: Transcript, fmt: str) -> str:
    return {"json": to_json, "txt": to_text, "vtt": to_vtt}[fmt](transcript)
