"""Command line: predict, train, evaluate, bench, sample, list.

Every error a user can cause prints one line, ``error: ...``, and exits with status 2.
"""

import argparse
import io
import json
import logging
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from .corruptions import list_corruptions
from .data import resolve_data_dir
from .device import DEVICE_CHOICES, describe_device, pick_device
from .errors import FusionLabError, InputError
from .fusions import list_fusions
from .pretrained import list_pretrained, load_pretrained, pretrained_root, task_dir
from .tasks import get_task, list_tasks

log = logging.getLogger("fusion_core")


def _all_modalities() -> List[str]:
    return sorted({m for t in list_tasks() for m in get_task(t).modality_names})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fusion_core", description="FusionLab: multimodal fusion zoo")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, data: bool = True) -> None:
        p.add_argument("--task", default=list_tasks()[0], help=f"one of: {', '.join(list_tasks())}")
        p.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where models run (auto: CUDA if present)")
        if data:
            p.add_argument("--data-dir", help="dataset directory (default: $FUSIONLAB_DATA or ~/.cache/fusionlab)")

    def models_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--models", help="comma-separated model names (default: the whole zoo)")

    predict = sub.add_parser("predict", help="every model's prediction for one paired input")
    common(predict, data=False)
    models_arg(predict)
    for m in _all_modalities():
        predict.add_argument(f"--{m}", metavar="FILE", help=f"the {m} file")
    predict.add_argument("--off", action="append", default=[], metavar="MODALITY", help="switch a modality off")
    predict.add_argument(
        "--corrupt", action="append", default=[], metavar="MODALITY:NAME=LEVEL",
        help="corrupt a modality, e.g. image:occlusion=0.5 (level in [0, 1])",
    )
    predict.add_argument("--top", type=int, default=3, help="classes shown per model")
    predict.add_argument("--json", action="store_true", help="print JSON instead of a table")

    train = sub.add_parser("train", help="retrain the pretrained zoo of a task (then evaluate it)")
    common(train)
    models_arg(train)
    train.add_argument("--out", help="root directory for <task>/ (default: the repository's pretrained/)")
    train.add_argument("--epochs-scale", type=float, default=1.0, help="scale every recipe's epochs (smoke runs)")
    train.add_argument("--no-evaluate", action="store_true", help="skip the test-set evaluation afterwards")
    train.add_argument(
        "--seed", type=int, default=0, help="add this to every recipe's seed: the same recipe from another random draw (run-to-run spread)"
    )
    train.add_argument("--holdout", help="leave this group (a digit task's speaker) out of training; needs --out, skips evaluation")

    evaluate = sub.add_parser("evaluate", help="test metrics into the cards and pretrained/<task>/README.md")
    common(evaluate)
    models_arg(evaluate)
    evaluate.add_argument("--out", help="root directory holding <task>/ (default: pretrained/)")
    evaluate.add_argument("--robustness-pairs", type=int, default=None, help="test pairs per corruption curve")
    evaluate.add_argument("--emap-pairs", type=int, default=250, help="test pairs for EMAP (it runs every pairing: N^2)")
    evaluate.add_argument("--loso", action="store_true", help="also run leave-one-speaker-out (retrains per speaker)")
    evaluate.add_argument("--loso-only", action="store_true", help="only leave-one-speaker-out; keep the cards' other metrics")

    bench = sub.add_parser("bench", help="latency, throughput and preprocessing time of the zoo")
    common(bench)
    models_arg(bench)
    bench.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    bench.add_argument(
        "--compare-cpu", action="store_true",
        help="also run the test split on --device and on the CPU: accuracy, equal answers, largest probability gap",
    )

    profile = sub.add_parser("profile", help="the task's information profile (PID: redundancy, uniqueness, synergy)")
    common(profile)
    profile.add_argument("--out", help="root directory holding <task>/ (default: pretrained/)")

    sample = sub.add_parser("sample", help="write a test-set pair as ordinary files (PNG, WAV...)")
    common(sample)
    sample.add_argument("--row", type=int, default=0, help="test pair index")
    sample.add_argument("--out", default=".", help="directory to write into")

    sub.add_parser("list", help="tasks, fusion methods, corruptions and pretrained models")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return COMMANDS[args.command](args)
    except FusionLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _model_names(args: argparse.Namespace, root: Optional[Path] = None) -> List[str]:
    available = list_pretrained(args.task, root)
    if not available:
        raise InputError(f"no pretrained models for {args.task} in {task_dir(args.task, root)}; run: python -m fusion_core train --task {args.task}")
    if not args.models:
        return available
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; choose from: {', '.join(available)}")
    return names


def _parse_corruptions(task_name: str, specs: Sequence[str]) -> Dict[str, Tuple[str, float]]:
    task, out = get_task(task_name), {}
    for spec in specs:
        try:
            modality, rest = spec.split(":", 1)
            name, level = rest.split("=", 1)
            value = float(level)
        except ValueError:
            raise InputError(f"--corrupt {spec!r}: write it as MODALITY:NAME=LEVEL, e.g. image:occlusion=0.5") from None
        kind = task.modality(modality).kind
        if name not in list_corruptions(kind):
            raise InputError(f"unknown {modality} corruption {name!r}; choose one of: {', '.join(list_corruptions(kind))}")
        if not 0.0 <= value <= 1.0:
            raise InputError(f"--corrupt {spec!r}: the level must be between 0 and 1")
        out[modality] = (name, value)
    return out


def cmd_predict(args: argparse.Namespace) -> int:
    from .inference import apply_corruptions, model_inputs, predict_all

    task = get_task(args.task)
    for m in args.off:
        task.modality(m)
    files = {m: getattr(args, m, None) for m in task.modality_names}
    enabled = [m for m in task.modality_names if m not in args.off and files[m]]
    for m in task.modality_names:
        if m not in args.off and not files[m]:
            print(f"note: no --{m} file given, so {m} is off", file=sys.stderr)
    signals = {}
    for m in enabled:
        path = Path(files[m])
        if not path.is_file():
            raise InputError(f"--{m}: no such file {path}")
        try:
            signals[m] = task.modality(m).load(path.read_bytes())
        except InputError as error:
            raise InputError(f"--{m} {path.name}: {error}") from None
    signals = apply_corruptions(task, signals, _parse_corruptions(args.task, args.corrupt))
    inputs = model_inputs(task, signals, enabled)
    device = pick_device(args.device)
    models = {n: load_pretrained(args.task, n, device)[0] for n in _model_names(args)}
    predictions = predict_all(task, models, inputs, device)
    if args.json:
        print(json.dumps({n: {"label": p.label, "confidence": round(p.confidence, 5), "top": p.top(args.top)} for n, p in predictions.items()}, indent=1))
        return 0
    print(f"{task.title} | modalities on: {', '.join(enabled)} | device: {describe_device(device)}")
    width = max(len(n) for n in predictions)
    for name, p in predictions.items():
        top = "  ".join(f"{label}:{prob:.3f}" for label, prob in p.top(args.top))
        print(f"{name:<{width}}  {p.label:>3}  {100 * p.confidence:5.1f}%   top: {top}   ({1000 * p.seconds:.1f} ms)")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .zoo import train_zoo

    task, data_dir, device = get_task(args.task), resolve_data_dir(args.data_dir), pick_device(args.device)
    root = Path(args.out) if args.out else pretrained_root()
    names = [n.strip() for n in args.models.split(",")] if args.models else None
    if args.holdout and not args.out:
        raise InputError("--holdout trains models that never heard a speaker: give --out DIR, so that the pretrained zoo stays as it is")
    start = time.perf_counter()
    written = train_zoo(task, data_dir, task_dir(args.task, root), names, device, args.epochs_scale, holdout=args.holdout, seed=args.seed)
    print(f"trained {len(written)} models in {(time.perf_counter() - start) / 60:.1f} min on {describe_device(device)}")
    if args.holdout:
        print(f"without {args.holdout}: measure them with scripts/held_out_audio.py --speaker {args.holdout} --root {root}")
    elif not args.no_evaluate:
        args.models, args.out, args.robustness_pairs, args.emap_pairs = ",".join(written), str(root), None, 250
        args.loso = args.loso_only = False
        return cmd_evaluate(args)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .report import evaluate_and_report

    root = Path(args.out) if args.out else pretrained_root()
    names = _model_names(args, root)
    start = time.perf_counter()
    path = evaluate_and_report(
        get_task(args.task), names, resolve_data_dir(args.data_dir), pick_device(args.device), root,
        robustness_pairs=args.robustness_pairs, loso=args.loso, emap_pairs=args.emap_pairs, loso_only=args.loso_only,
    )
    print(f"evaluated {len(names)} models in {(time.perf_counter() - start) / 60:.1f} min; table: {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .batch import clean_batch
    from .bench import bench_models, compare_with_cpu

    device = pick_device(args.device)
    models = {n: load_pretrained(args.task, n, device)[0] for n in _model_names(args)}
    task = get_task(args.task)
    result = bench_models(task, models, device)
    print(f"{args.task} on {result['device']} (torch {result['torch']})")
    print(f"{'model':<16}{'params':>9}{'1 pair ms':>11}{'p90 ms':>9}{'pairs/s @256':>14}")
    for name, r in result["models"].items():
        print(f"{name:<16}{r['parameters']:>9}{r['latency_ms']:>11.2f}{r['latency_p90_ms']:>9.2f}{r['throughput_pairs_s']:>14.0f}")
    print(f"all models, one pair: {result['all_models_one_pair_ms']:.1f} ms (preprocessing excluded)")
    print("preprocessing of an upload: " + ", ".join(f"{m} {ms:.1f} ms" for m, ms in result["preprocessing_ms"].items()))
    if args.compare_cpu:
        test = clean_batch(task, task.load("test", resolve_data_dir(args.data_dir)))
        result["compare_cpu"] = parity = compare_with_cpu(models, test, device)
        print(f"test split ({parity['samples']} samples), every model: {parity['seconds']:.2f} s on {parity['device']}, "
              f"{parity['cpu_seconds']:.2f} s on the CPU")
        print(f"{'model':<16}{'accuracy':>10}{'on CPU':>9}{'same answer %':>15}{'max prob gap':>14}")
        for name, r in parity["models"].items():
            print(f"{name:<16}{r['accuracy']:>10.2f}{r['cpu_accuracy']:>9.2f}{r['same_answer']:>15.3f}{r['max_probability_gap']:>14.2e}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from .profile import compute_profile, meaning, write_profile

    root = Path(args.out) if args.out else pretrained_root()
    profile = compute_profile(get_task(args.task), resolve_data_dir(args.data_dir), root, pick_device(args.device))
    path = write_profile(profile, root)
    bits = profile["bits"]
    unique = ", ".join(f"unique {m} {v:.3f}" for m, v in bits["unique"].items())
    print(f"{args.task}: redundancy {bits['redundancy']:.3f}, {unique}, synergy {bits['synergy']:.3f} bits "
          f"(of I = {bits['total']:.3f}; H(label) = {bits['label_entropy']:.3f}) in {profile['seconds']} s")
    print(meaning(profile))
    print(f"wrote {path}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    task = get_task(args.task)
    test = task.load("test", resolve_data_dir(args.data_dir))
    if not 0 <= args.row < len(test):
        raise InputError(f"--row must be between 0 and {len(test) - 1}")
    pair = test.subset([args.row])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    label = task.labels[int(pair.labels[0])]
    for m, signal in pair.signals().items():
        path = out / f"pair{args.row}-{label}-{m}.{task.modality(m).file_types[0]}"
        path.write_bytes(export_signal(task.modality(m).kind, signal[0]))
        print(path)
    return 0


def export_signal(kind: str, signal: torch.Tensor) -> bytes:
    """A canonical signal as an ordinary file (PNG for images, WAV for audio)."""
    buffer = io.BytesIO()
    if kind == "image":
        from PIL import Image

        Image.fromarray((signal.clamp(0, 1) * 255).byte().numpy()).save(buffer, format="PNG")
    elif kind == "audio":
        import soundfile as sf

        from .preprocess.audio import SAMPLE_RATE

        sf.write(buffer, signal.numpy(), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    else:
        raise InputError(f"cannot export signals of kind {kind!r}")
    return buffer.getvalue()


def cmd_list(args: argparse.Namespace) -> int:
    from .fusions import fusion_class

    for name in list_tasks():
        task = get_task(name)
        print(f"task {name}: {task.title}")
        for m in task.modalities:
            print(f"  modality {m.name} ({m.kind}): corruptions {', '.join(list_corruptions(m.kind))}")
        print(f"  pretrained: {', '.join(list_pretrained(name)) or 'none'}")
    print("fusion methods:")
    for name in list_fusions():
        cls = fusion_class(name)
        print(f"  {name:<10} [{cls.stage}] {(cls.__doc__ or '').strip().splitlines()[0]}")
    return 0


COMMANDS = {
    "predict": cmd_predict,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "bench": cmd_bench,
    "profile": cmd_profile,
    "sample": cmd_sample,
    "list": cmd_list,
}
