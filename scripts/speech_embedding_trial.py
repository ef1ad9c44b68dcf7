"""Trial: the pretrained speech embedding, frozen, under a small trained head, on a voice it never heard.

    .venv/bin/python scripts/speech_embedding_trial.py --speaker george --json artifacts/speech_embedding_george.json

What `unimodal-audio` would read if its encoder were Google's speech embedding (fusion_core/encoders/
speech_embedding.py) instead of the small CNN trained from scratch: the zoo's own `unimodal` model (the encoder's
trainable conv block, mean over time, an MLP) with that encoder. It trains on the digits-av training clips without
SPEAKER: FSDD's four other voices and the synthesised ones, each clip once as it is and COPIES times through the
training augmentation (`augment_audio`), from the frozen network's outputs for those clips, computed once
(`forward_train(stage="stem")`, as training does for frozen encoders). It is then tested through the model's
plain forward on SPEAKER's 900 device files (`scripts/held_out_audio.py`'s set) and on all 500 of SPEAKER's FSDD
recordings. The recipe (30 epochs, AdamW with a one-cycle peak of 3e-3, weight decay 1e-3, label smoothing 0.05)
was set before the first run and not tuned on these voices.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fusion_core.augment.audio import augment_audio  # noqa: E402
from fusion_core.data import fsdd, resolve_data_dir  # noqa: E402
from fusion_core.data.recorded_digits import speaker_set  # noqa: E402
from fusion_core.device import configure_threads  # noqa: E402
from fusion_core.encoders import Encoder, EncoderSpec  # noqa: E402
from fusion_core.encoders.speech_embedding import speech_features  # noqa: E402
from fusion_core.errors import InputError  # noqa: E402
from fusion_core.fusions import create_fusion  # noqa: E402
from fusion_core.preprocess.audio import SAMPLE_RATE, load_audio  # noqa: E402
from fusion_core.tasks import get_task  # noqa: E402
from fusion_core.tasks.digit_pairs import spoken_digit  # noqa: E402

TASK = "digits-av"
BATCH = 128


def training_clips(data_dir: Path, speaker: str):
    """The distinct training clips of digits-av without ``speaker`` and the digit each says."""
    data = get_task(TASK).load("train", data_dir, holdout=speaker)
    digits = {}
    for row, name in zip(data.index["audio"].tolist(), data.ids["audio"]):
        digits.setdefault(row, spoken_digit(name))
    rows = sorted(digits)
    return data.pools["audio"][torch.tensor(rows)], torch.tensor([digits[r] for r in rows])


def features(waves: torch.Tensor) -> torch.Tensor:
    return torch.cat([speech_features(waves[i : i + BATCH], SAMPLE_RATE) for i in range(0, len(waves), BATCH)])


def frozen_outputs(encoder: Encoder, waves: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return torch.cat([encoder.stem(features(waves[i : i + BATCH])) for i in range(0, len(waves), BATCH)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speaker", required=True)
    parser.add_argument("--copies", type=int, default=4, help="augmented copies of each training clip")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    configure_threads()
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    data_dir = resolve_data_dir(args.data_dir)
    model = create_fusion("unimodal", {"audio": EncoderSpec("speech-embedding", {"width": 64})}, 10, modality="audio")
    encoder = model.encoders["audio"]
    waves, digits = training_clips(data_dir, args.speaker)
    generator = torch.Generator().manual_seed(args.seed)
    copies = [waves] + [augment_audio(waves, generator) for _ in range(args.copies)]
    inputs = torch.cat([frozen_outputs(encoder, w) for w in copies])
    targets = digits.repeat(len(copies))
    prepared = time.perf_counter() - started

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    steps = args.epochs * -(-len(targets) // BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(targets))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            logits = model.forward_train({"audio": inputs[rows]}, stage="stem").logits
            loss = nn.functional.cross_entropy(logits, targets[rows], label_smoothing=0.05)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    trained = time.perf_counter() - started - prepared

    files = speaker_set(data_dir, args.speaker, takes=10)
    right_by_profile = defaultdict(list)
    for f in files:
        try:
            wave = load_audio(f.data)
        except InputError:  # a file the loader refuses counts as wrong
            right_by_profile[f.profile].append(False)
            continue
        with torch.inference_mode():
            guess = int(model({"audio": features(wave[None])}).argmax(1))
        right_by_profile[f.profile].append(guess == f.digit)
    recordings = [r for r in fsdd.list_recordings(data_dir) if r.speaker == args.speaker]
    clean = torch.stack([load_audio(r.path.read_bytes()) for r in recordings])
    with torch.inference_mode():
        clean_right = model({"audio": features(clean)}).argmax(1) == torch.tensor([r.digit for r in recordings])
    every = [r for rights in right_by_profile.values() for r in rights]
    results = {
        "speaker": args.speaker,
        "seed": args.seed,
        "copies": args.copies,
        "epochs": args.epochs,
        "training_clips": len(waves),
        "device_files": round(100 * sum(every) / len(every), 2),
        "device_files_by_profile": {p: round(100 * sum(r) / len(r), 1) for p, r in right_by_profile.items()},
        "fsdd_recordings": round(100 * float(clean_right.float().mean()), 2),
        "seconds": {"frozen_outputs": round(prepared, 1), "head_training": round(trained, 1)},
    }
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
