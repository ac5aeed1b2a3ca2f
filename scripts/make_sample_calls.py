"""Generate the bundled sample calls with espeak-ng and sox.

Each call is a scripted conversation between an agent and a customer. Every turn is
spoken by espeak-ng, placed on the agent's or the customer's channel at its time,
with a little line noise so silence is not digital zero, and the two channels are
joined by `sox -M` into a stereo file (or mixed into mono). The result, with the
reference text and timing of each turn, lands in `qc/demo/samples/`: `qc demo`
loads these calls and the tests check transcripts against the references.

Run: `python scripts/make_sample_calls.py` (needs espeak-ng and sox on PATH).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "qc" / "demo" / "samples"
RATE = 16_000
GAP_S = 0.6
NOISE = 0.001
SEED = 20261122

# (file, language, layout, rate, rep index, direction, agent voice, customer voice, turns)
A, C = "agent", "customer"
CALLS = [
    {
        "file": "outbound_en_followed.ogg",
        "language": "en",
        "channels": "agent-left",
        "rate": 16000,
        "direction": "outbound",
        "rep": 0,
        "voices": {A: "en-us+m3", C: "en-us+f2"},
        "turns": [
            (A, "Good morning, this is Daniel from Acme Telecom. Do you have two minutes to talk?"),
            (C, "Yes, sure, go ahead."),
            (A, "What matters most to you in a mobile plan?"),
            (C, "Mostly the price, and good coverage when I travel."),
            (A, "Our travel plan includes roaming in forty countries for fifteen euros a month."),
            (C, "That sounds interesting, but I need to think about it."),
            (A, "Of course. Shall I call you back on Thursday at ten to confirm?"),
            (C, "Yes, Thursday works for me."),
            (A, "Great, thank you for your time. Have a nice day."),
        ],
    },
    {
        "file": "outbound_en_pushy.mp3",
        "language": "en",
        "channels": "agent-right",
        "rate": 8000,
        "direction": "outbound",
        "rep": 1,
        "voices": {A: "en-us+m7", C: "en-gb+f4"},
        "turns": [
            (A, "Hi, I am calling about our new internet offer."),
            (C, "Who is this? I am busy right now."),
            (A, "It is the best price on the market, you have to buy it today."),
            (C, "I am not interested, thank you."),
            (A, "Everyone is taking it, you are making a mistake."),
            (C, "Please do not call me again. Goodbye."),
        ],
    },
    {
        "file": "inbound_en_support.mp3",
        "language": "en",
        "channels": "agent-left",
        "rate": 8000,
        "direction": "inbound",
        "rep": 2,
        "voices": {A: "en-gb+f3", C: "en-us+m4"},
        "turns": [
            (A, "Thank you for calling Acme support, my name is Laura. How can I help you?"),
            (C, "My internet has been down since this morning."),
            (A, "I am sorry to hear that. Could you tell me your account number, please?"),
            (C, "Yes, it is four five seven two one."),
            (A, "Thank you. I can see an outage in your area. It should be fixed by six tonight."),
            (C, "Okay, thanks for letting me know."),
            (A, "Is there anything else I can help you with today?"),
            (C, "No, that is all. Bye."),
        ],
    },
    {
        "file": "outbound_ru.ogg",
        "language": "ru",
        "channels": "agent-left",
        "rate": 16000,
        "direction": "outbound",
        "rep": 3,
        "voices": {A: "ru+m3", C: "ru+f2"},
        "turns": [
            (A, "Добрый день, меня зовут Ольга, компания Акме. Вам удобно сейчас говорить?"),
            (C, "Да, слушаю вас."),
            (A, "Скажите, что для вас важнее всего при выборе тарифа?"),
            (C, "Цена и хорошая связь за городом."),
            (A, "Наш тариф стоит пятьсот рублей в месяц и работает по всей стране."),
            (C, "Мне нужно подумать."),
            (A, "Конечно. Давайте я перезвоню вам в четверг?"),
            (C, "Хорошо, до свидания."),
        ],
    },
    {
        "file": "outbound_ro.ogg",
        "language": "ro",
        "channels": "agent-left",
        "rate": 16000,
        "direction": "outbound",
        "rep": 4,
        "voices": {A: "ro+m3", C: "ro+f2"},
        "turns": [
            (A, "Bună ziua, mă numesc Andrei de la compania Acme. Aveți două minute să vorbim?"),
            (C, "Da, vă ascult."),
            (A, "Ce este cel mai important pentru dumneavoastră la un abonament?"),
            (C, "Prețul și o conexiune bună."),
            (A, "Abonamentul nostru costă cincizeci de lei pe lună."),
            (C, "Este prea scump pentru mine."),
            (A, "Înțeleg. Vă pot oferi prima lună gratuit. Vă sun mâine să confirmăm?"),
            (C, "Bine, mulțumesc. La revedere."),
        ],
    },
    {
        "file": "outbound_it.ogg",
        "language": "it",
        "channels": "agent-left",
        "rate": 16000,
        "direction": "outbound",
        "rep": 5,
        "voices": {A: "it+m3", C: "it+f2"},
        "turns": [
            (A, "Buongiorno, sono Marco della società Acme. Ha due minuti per parlare?"),
            (C, "Sì, mi dica."),
            (A, "Che cosa è più importante per lei in un'offerta internet?"),
            (C, "La velocità e il prezzo."),
            (A, "La nostra offerta costa venti euro al mese con la fibra."),
            (C, "Devo pensarci."),
            (A, "Certo. La richiamo venerdì mattina?"),
            (C, "Va bene, grazie. Arrivederci."),
        ],
    },
    {
        "file": "outbound_sr.ogg",
        "language": "sr",
        "channels": "agent-left",
        "rate": 16000,
        "direction": "outbound",
        "rep": 6,
        "voices": {A: "sr+m3", C: "sr+f2"},
        "turns": [
            (A, "Dobar dan, ovde Milan iz kompanije Akme. Imate li dva minuta za razgovor?"),
            (C, "Da, slušam vas."),
            (A, "Šta vam je najvažnije kod izbora paketa?"),
            (C, "Cena i dobar signal."),
            (A, "Naš paket košta hiljadu dinara mesečno."),
            (C, "Moram da razmislim."),
            (A, "Naravno. Mogu li da vas pozovem u četvrtak?"),
            (C, "Može, hvala. Doviđenja."),
        ],
    },
    {
        "file": "inbound_en_mono.flac",
        "language": "en",
        "channels": "mono",
        "rate": 8000,
        "direction": "inbound",
        "rep": 7,
        "voices": {A: "en-us+f3", C: "en-us+m2"},
        "turns": [
            (A, "Acme sales, this is Sofia speaking."),
            (C, "Hello, I would like to upgrade my plan."),
            (A, "Happy to help. The premium plan costs twenty euros a month."),
            (C, "Great, please switch me to it."),
        ],
    },
]


def speak(text: str, voice: str, workdir: Path, index: int) -> np.ndarray:
    raw = workdir / f"turn{index}.wav"
    resampled = workdir / f"turn{index}_16k.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "155", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(resampled)], check=True)
    with wave.open(str(resampled)) as handle:
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    return data.astype(np.float32) / 32768.0


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


def build(call: dict, rng: np.random.Generator) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        clips, turns, cursor = [], [], 0.5
        for index, (speaker, text) in enumerate(call["turns"]):
            audio = speak(text, call["voices"][speaker], workdir, index)
            # espeak pads a little silence; place the clip, then leave a natural gap.
            start = cursor
            clips.append((speaker, int(start * RATE), audio))
            end = start + len(audio) / RATE
            turns.append({"speaker": speaker, "start": round(start, 2), "end": round(end, 2), "text": text})
            cursor = end + GAP_S + rng.uniform(0, 0.4)
        total = int((cursor + 0.5) * RATE)
        channels = {A: np.zeros(total, np.float32), C: np.zeros(total, np.float32)}
        for speaker, offset, audio in clips:
            channels[speaker][offset : offset + len(audio)] += audio * 0.8
        for speaker in channels:
            channels[speaker] += rng.normal(0, NOISE, total).astype(np.float32)
            write_wav(workdir / f"{speaker}.wav", channels[speaker])
        target = OUT / call["file"]
        agent, customer = str(workdir / "agent.wav"), str(workdir / "customer.wav")
        if call["channels"] == "mono":
            command = ["sox", "-m", agent, customer, str(target)]
        elif call["channels"] == "agent-left":
            command = ["sox", "-M", agent, customer, str(target)]
        else:
            command = ["sox", "-M", customer, agent, str(target)]
        # Compressed like real call recordings: ogg/vorbis q3, mp3 at 32 kbps, flac.
        compression = {".ogg": ["-C", "3"], ".mp3": ["-C", "32"]}.get(target.suffix, [])
        command[-1:-1] = compression
        subprocess.run([*command, "rate", str(call["rate"])], check=True)
    return {
        "file": call["file"],
        "language": call["language"],
        "channels": call["channels"],
        "direction": call["direction"],
        "rep": call.get("rep"),
        "duration_s": round(total / RATE, 2),
        "turns": turns,
    }


LABELLED = ROOT / "tests" / "scoring" / "labelled"
SCRIPTED = OUT / "scripted"
VOICES = {
    "en": {A: "en-us+m3", C: "en-gb+f2"},
    "ru": {A: "ru+f3", C: "ru+m2"},
    "ro": {A: "ro+m3", C: "ro+f2"},
    "it": {A: "it+m3", C: "it+f2"},
    "sr": {A: "sr+m3", C: "sr+f2"},
}


def scripted_calls() -> list[dict]:
    """The labelled transcripts marked `audio: true`, as calls to speak."""
    import yaml

    calls = []
    for path in sorted(LABELLED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not data.get("audio"):
            continue
        turns = [(A, t[A]) if A in t else (C, t[C]) for t in data["turns"]]
        calls.append(
            {
                "file": f"scripted/{data['id']}.ogg",
                "language": data["language"],
                "channels": "agent-left",
                "rate": 16000,
                "direction": "inbound" if data["scorecard"] == "inbound-support" else "outbound",
                "labelled": data["id"],
                "voices": VOICES[data["language"]],
                "turns": turns,
            }
        )
    return calls


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    SCRIPTED.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    manifest = [build(call, rng) for call in CALLS]
    (OUT / "samples.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    scripted = []
    for call in scripted_calls():
        built = build(call, rng)
        built["labelled"] = call["labelled"]
        scripted.append(built)
    (SCRIPTED / "scripted.json").write_text(json.dumps(scripted, ensure_ascii=False, indent=1) + "\n")
    for item in manifest + scripted:
        size = (OUT / item["file"]).stat().st_size
        print(f"{item['file']}: {item['duration_s']} s, {size // 1024} KB")


if __name__ == "__main__":
    main()
