"""Every digits-av model's audio-only accuracy on a voice it never heard, recorded and saved as devices do.

    .venv/bin/python -m fusion_core train --task digits-av --holdout theo --out /tmp/without-theo
    .venv/bin/python scripts/held_out_audio.py --speaker theo --root /tmp/without-theo --json artifacts/held_out_audio.json

The models must have been trained with the speaker left out (each card's ``training.held_out`` is checked). The
files come from ``fusion_core.data.recorded_digits``: the speaker's FSDD takes, re-recorded in a small room with
noise, at the gain of a laptop, a phone or a browser, and saved as WAV (16-bit, float), FLAC, Ogg Vorbis, MP3,
M4A/AAC, WebM/Opus and Ogg/Opus. Each file goes through the app's upload path (``load_audio``) and each model hears
it alone (image switched off), then together with a test image of the same digit (the k-th recording of a digit
with the k-th test image of that digit), and sees that image alone: a fused answer should never be worse than
the better of the two. A file the loader refuses counts as wrong.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fusion_core.data import resolve_data_dir  # noqa: E402
from fusion_core.data.recorded_digits import PROFILES, speaker_set  # noqa: E402
from fusion_core.device import configure_threads  # noqa: E402
from fusion_core.errors import InputError  # noqa: E402
from fusion_core.pretrained import load_zoo  # noqa: E402
from fusion_core.runner import ZooRunner  # noqa: E402
from fusion_core.tasks import get_task  # noqa: E402

TASK = "digits-av"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speaker", required=True, help="the speaker the models were trained without")
    parser.add_argument("--root", type=Path, required=True, help="a zoo root holding digits-av/, trained with --holdout SPEAKER")
    parser.add_argument("--takes", type=int, default=10, help="takes per digit (of 50), the first ones")
    parser.add_argument("--json", default="artifacts/held_out_audio.json")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    configure_threads()
    task = get_task(TASK)
    loaded = load_zoo(TASK, root=args.root)
    zoo = {n: m.requires_grad_(False).eval() for n, (m, _) in loaded.items() if "audio" in m.modalities}
    heard = [n for n, (_, card) in loaded.items() if card["training"].get("held_out") != args.speaker]
    if heard:
        raise SystemExit(f"{', '.join(heard)} heard {args.speaker} in training; train with --holdout {args.speaker} first")
    start = time.perf_counter()
    data_dir = resolve_data_dir(args.data_dir)
    samples = speaker_set(data_dir, args.speaker, takes=args.takes)
    made = time.perf_counter() - start
    audio = task.modality("audio")
    waves, refused = [], []
    for s in samples:
        try:
            waves.append(audio.load(s.data))
        except InputError as error:
            waves.append(None)
            refused.append(f"{s.profile}: {error}")
    ok_rows = [i for i, w in enumerate(waves) if w is not None]
    images = same_digit_images(task, data_dir, [samples[i].digit for i in ok_rows])
    inputs = task.featurize({"audio": torch.stack([waves[i] for i in ok_rows]), "image": images})
    runner = ZooRunner(zoo)
    on, off = torch.ones(len(ok_rows), dtype=torch.bool), torch.zeros(len(ok_rows), dtype=torch.bool)
    subsets = {"audio": {"audio": on, "image": off}, "both": {"audio": on, "image": on}, "image": {"audio": off, "image": on}}
    with torch.inference_mode():
        logits = {subset: runner.logits(inputs, present) for subset, present in subsets.items()}
    truth = torch.tensor([task.labels.index(str(samples[i].digit)) for i in ok_rows])
    results = {
        "speaker": args.speaker,
        "files": len(samples),
        "takes_per_digit": args.takes,
        "profiles": {p.name: p.what for p in PROFILES},
        "refused": len(refused),
        "refusals": sorted(set(refused))[:5],
        "accuracy": {},
        "fused": {},
        "image_only": {},
        "by_profile": {},
    }
    for name, out in logits["audio"].items():
        right = torch.zeros(len(samples), dtype=torch.bool)
        right[ok_rows] = out.argmax(1) == truth
        results["accuracy"][name] = round(100 * float(right.float().mean()), 2)
        table = defaultdict(list)
        for s, r in zip(samples, right.tolist()):
            table[s.profile].append(r)
        results["by_profile"][name] = {k: round(100 * sum(v) / len(v), 1) for k, v in table.items()}
        if "image" in zoo[name].modalities:
            for key, subset in (("fused", "both"), ("image_only", "image")):
                hits = int((logits[subset][name].argmax(1) == truth).sum())  # a refused file counts as wrong
                results[key][name] = round(100 * hits / len(samples), 2)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"{len(samples)} files of {args.speaker} ({len(refused)} refused by the loader; made in {made:.0f} s); accuracy, %:")
    print(f"  {'model':16s} {'audio':>6s} {'image':>6s} {'both':>6s}   audio only, by profile")
    for name, value in sorted(results["accuracy"].items(), key=lambda kv: -kv[1]):
        image, both = (f"{results[k][name]:6.2f}" if name in results[k] else f"{'-':>6s}" for k in ("image_only", "fused"))
        print(f"  {name:16s} {value:6.2f} {image} {both}   {results['by_profile'][name]}")


def same_digit_images(task, data_dir: Path, digits) -> torch.Tensor:
    """The k-th test image of digit d for the k-th file of digit d (cycling): fixed, and never trained on."""
    test = task.load("test", data_dir)
    rows = {d: torch.nonzero(test.labels == task.labels.index(str(d))).flatten().tolist() for d in set(digits)}
    seen = defaultdict(int)
    chosen = []
    for d in digits:
        chosen.append(rows[d][seen[d] % len(rows[d])])
        seen[d] += 1
    return test.signals(torch.tensor(chosen))["image"]


if __name__ == "__main__":
    main()
