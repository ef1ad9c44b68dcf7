"""Spoken digits in synthesised voices: many more speakers for the audio path than FSDD's five.

The Free Spoken Digit Dataset has five speakers, so a model trained on four of them hears a fifth as a
stranger (leave-one-speaker-out, README). Speech synthesisers installed on the machine give hundreds of
further "speakers": espeak-ng (eight English accents, its voice variants, pitch and speed) and flite (its
four voices, pitch and tempo). Their programs are looked up, never shipped; which ones were found is part
of a set's record, and a machine with neither trains on FSDD alone (with a warning).

These voices are for training only: every accuracy the README reports is on human recordings.
"""

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np

log = logging.getLogger(__name__)

SEED = 20261130
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")  # as FSDD's speakers say them
ESPEAK_ACCENTS = (
    "en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc",
)
# Variants that sound like a person (not the robots, whispers and effects espeak-ng also ships).
ESPEAK_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4", "Andy", "Annie", "Denis", "Ed", "Gene", "Jacky", "John",
    "Lee", "Linda", "Mario", "Michael", "Mike", "Paul", "Pedro", "Rob", "Robert", "Steph", "grandma", "grandpa",
)
ESPEAK_PITCH, ESPEAK_SPEED = (15, 85), (110, 200)  # espeak-ng's 0-99 pitch scale; words per minute
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FLITE_F0_HZ, FLITE_STRETCH = (80.0, 240.0), (0.8, 1.5)  # mean pitch; duration stretch (1 = the voice's own tempo)
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SynthDigit:
    digit: int
    voice: str  # how it was made, e.g. "espeak-ng:en-gb-scotland+f2:p40:s150"
    data: bytes  # a WAV file


def available_engines() -> Tuple[str, ...]:
    """The synthesisers on this machine's PATH, of ``espeak-ng`` and ``flite``."""
    return tuple(name for name in ("espeak-ng", "flite") if shutil.which(name))


def _commands(engine: str, word: str, rng: np.random.Generator, out: Path) -> Tuple[str, List[str]]:
    if engine == "espeak-ng":
        accent = ESPEAK_ACCENTS[rng.integers(len(ESPEAK_ACCENTS))]
        variant = ESPEAK_VARIANTS[rng.integers(len(ESPEAK_VARIANTS))]
        pitch, speed = int(rng.integers(*ESPEAK_PITCH)), int(rng.integers(*ESPEAK_SPEED))
        voice = f"espeak-ng:{accent}+{variant}:p{pitch}:s{speed}"
        command = ["espeak-ng", "-v", f"{accent}+{variant}", "-p", str(pitch), "-s", str(speed), "-w", str(out), word]
        return voice, command
    name = FLITE_VOICES[rng.integers(len(FLITE_VOICES))]
    f0, stretch = float(rng.uniform(*FLITE_F0_HZ)), float(rng.uniform(*FLITE_STRETCH))
    voice = f"flite:{name}:f0{f0:.0f}:x{stretch:.2f}"
    settings = ["--setf", f"int_f0_target_mean={f0:.1f}", "--setf", f"duration_stretch={stretch:.3f}"]
    return voice, ["flite", "-voice", name, *settings, "-t", word, "-o", str(out)]


def generate(per_digit: int, engines: Sequence[str], seed: int = SEED) -> List[SynthDigit]:
    """``per_digit`` clips of each digit, each in a voice drawn at random from ``engines`` (seeded)."""
    rng = np.random.default_rng(seed)
    samples: List[SynthDigit] = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "clip.wav"
        for digit in range(len(WORDS)):
            for _ in range(per_digit):
                engine = engines[rng.integers(len(engines))]
                voice, command = _commands(engine, WORDS[digit], rng, out)
                subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_S)
                samples.append(SynthDigit(digit=digit, voice=voice, data=out.read_bytes()))
    return samples


def training_set(per_digit: int) -> List[SynthDigit]:
    """The synthesised training clips; none (and a warning) where no synthesiser is installed.

    Not cached: its one caller (``digit_pairs._synth_pool``) keeps the decoded clips, not these files."""
    engines = available_engines()
    if not engines:
        log.warning("neither espeak-ng nor flite is installed: the audio models train on FSDD's speakers alone")
        return []
    return generate(per_digit, engines)
