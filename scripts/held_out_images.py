"""Every digits-av model's image-only accuracy on digits typed, photographed and drawn in ways no model was trained on.

    .venv/bin/python scripts/held_out_images.py --count 1000 --json artifacts/held_out_images.json

The set comes from ``fusion_core.data.typed_digits.held_out_set`` (held-out typefaces under every
condition, every typeface under the held-out conditions), each file goes through the app's own upload
path (``load_image``), and each model sees the image alone (audio switched off). A file the loader
refuses counts as wrong. A contact sheet of the first 40 files and of what the loader made of them is
written beside the JSON, to look at.
"""

import argparse
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fusion_core.data.typed_digits import held_out_set  # noqa: E402
from fusion_core.device import configure_threads  # noqa: E402
from fusion_core.errors import InputError  # noqa: E402
from fusion_core.pretrained import load_zoo  # noqa: E402
from fusion_core.runner import ZooRunner  # noqa: E402
from fusion_core.tasks import get_task  # noqa: E402

TASK = "digits-av"


def contact_sheets(samples, forms, out: Path, count: int = 40) -> None:
    tile = 96
    files = Image.new("RGB", (tile * 10, tile * (count // 10)), "white")
    loaded = Image.new("L", (tile * 10, tile * (count // 10)), 0)
    for i, (sample, form) in enumerate(zip(samples[:count], forms[:count])):
        spot = ((i % 10) * tile, (i // 10) * tile)
        files.paste(Image.open(io.BytesIO(sample.data)).convert("RGB").resize((tile, tile)), spot)
        if form is not None:
            loaded.paste(Image.fromarray((form.squeeze().numpy() * 255).astype(np.uint8)).resize((tile, tile)), spot)
    files.save(out.with_name(out.stem + "-files.png"))
    loaded.save(out.with_name(out.stem + "-loaded.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--json", default="artifacts/held_out_images.json")
    parser.add_argument("--draw", type=int, default=1, help="which independent draw of the held-out set (0: the one looked at while mending the loader)")
    parser.add_argument("--root", type=Path, default=None, help="a zoo root holding digits-av/ (default: the repository's pretrained/)")
    args = parser.parse_args()
    configure_threads()
    task = get_task(TASK)
    image = task.modality("image")
    samples, record = held_out_set(args.count, args.draw)
    forms, refused = [], []
    for s in samples:
        try:
            forms.append(image.load(s.data))
        except InputError as error:
            forms.append(None)
            refused.append(str(error))
    ok_rows = [i for i, f in enumerate(forms) if f is not None]
    inputs = task.featurize({"image": torch.stack([forms[i] for i in ok_rows])})
    zoo = {n: m.requires_grad_(False).eval() for n, (m, _) in load_zoo(TASK, root=args.root).items() if "image" in m.modalities}
    with torch.inference_mode():
        logits = ZooRunner(zoo).logits(inputs)
    truth = torch.tensor([int(task.labels.index(str(samples[i].digit))) for i in ok_rows])
    results = {"record": record, "refused": len(refused), "refusals": sorted(set(refused))[:5], "accuracy": {}, "by_condition": {}, "by_face": {}}
    for name, out in logits.items():
        right = torch.zeros(len(samples), dtype=torch.bool)
        right[ok_rows] = out.argmax(1) == truth
        results["accuracy"][name] = round(100 * float(right.float().mean()), 2)
        groups = {"by_condition": defaultdict(list), "by_face": defaultdict(list)}
        for s, r in zip(samples, right.tolist()):
            groups["by_condition"][s.condition].append(r)
            groups["by_face"][s.face].append(r)
        for kind, table in groups.items():
            results[kind][name] = {k: round(100 * sum(v) / len(v), 1) for k, v in sorted(table.items())}
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    contact_sheets(samples, forms, out)
    print(f"{len(samples)} held-out images ({len(refused)} refused by the loader); image-only accuracy, %:")
    for name, value in sorted(results["accuracy"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:16s} {value:6.2f}   by condition: {results['by_condition'][name]}")


if __name__ == "__main__":
    main()
