"""Coverage-guided fuzzing (atheris, libFuzzer) of the upload loaders, for a bounded time; not run in CI.

Each loader (image, audio, scene, question) is fed mutations of a seed corpus of real files: test digits
as PNG/JPEG/WebP/GIF, recordings as WAV/FLAC/OGG/M4A/WebM, generated scenes, template questions. The
contract is the tests': the canonical signal or an InputError, within --timeout seconds and --rss-mb of
memory. Anything else (another exception, a hang, a blow-up) stops the run and libFuzzer writes the
input to tests/fuzz_regressions/<loader>/, where tests/test_hostile_files.py replays it for good.

Usage: .venv/bin/pip install -r requirements-fuzz.txt
       .venv/bin/python scripts/fuzz_loaders.py [--loader all|image|audio|scene|question] [--seconds 120]
"""

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REGRESSIONS = REPO / "tests" / "fuzz_regressions"
LOADERS = ("image", "audio", "scene", "question")


def seed_corpus(loader: str, folder: Path) -> None:
    """Real files of every format the loader takes, written into ``folder``."""
    import numpy as np
    import soundfile as sf
    from PIL import Image

    from fusion_core.data import resolve_data_dir
    from fusion_core.data import shapes
    from fusion_core.tasks import get_task

    files = {}
    if loader == "image":
        test = get_task("digits-av").load("test", resolve_data_dir()).subset(range(4))
        for i, digit in enumerate(test.signals()["image"]):
            image = Image.fromarray((255 - digit.numpy() * 255).astype(np.uint8))
            for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP"):
                buffer = io.BytesIO()
                image.resize((84, 84)).save(buffer, format=fmt)
                files[f"digit{i}.{fmt.lower()}"] = buffer.getvalue()
    elif loader == "audio":
        from fusion_core.data.fsdd import list_recordings

        for recording in [r for r in list_recordings(resolve_data_dir()) if r.is_test][:3]:
            samples, rate = sf.read(recording.path, dtype="float32")
            for fmt, subtype in (("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("WAV", "FLOAT")):
                buffer = io.BytesIO()
                sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
                files[f"{recording.name}.{fmt.lower()}.{subtype.lower()}"] = buffer.getvalue()
            files[f"{recording.name}.m4a"] = _av_encode(samples, rate, "ipod", "aac")
            files[f"{recording.name}.webm"] = _av_encode(samples, rate, "webm", "libopus")
    elif loader == "scene":
        for number in range(3):
            objects, _ = shapes.scene("test", number)
            for fmt in ("PNG", "JPEG"):
                buffer = io.BytesIO()
                Image.fromarray(shapes.render(objects)).save(buffer, format=fmt)
                files[f"scene{number}.{fmt.lower()}"] = buffer.getvalue()
    else:
        for template, (_, phrasings) in shapes.TEMPLATES.items():
            for k, phrasing in enumerate(phrasings[:2]):
                files[f"{template}{k}.txt"] = phrasing.format(c="red").encode()
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _av_encode(samples, rate: int, container: str, codec: str) -> bytes:
    import av
    import numpy as np
    from scipy.signal import resample_poly

    samples = resample_poly(samples, 48000, rate).astype(np.float32)  # Opus takes 48 kHz
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=48000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="fltp", layout="mono")
        frame.sample_rate = 48000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buffer.getvalue()


def fuzz(loader: str, corpus: Path, seconds: int, timeout: int, rss_mb: int) -> int:
    """Run libFuzzer on one loader in this process (atheris replaces the process's main loop)."""
    import atheris

    with atheris.instrument_imports():
        from fusion_core.errors import InputError
        from fusion_core.preprocess.audio import load_audio
        from fusion_core.preprocess.image import load_image
        from fusion_core.preprocess.scene import load_scene
        from fusion_core.tasks import get_task

    load = {
        "image": load_image,
        "audio": load_audio,
        "scene": load_scene,
        "question": get_task("shapes-vqa").modality("question").load,
    }[loader]

    findings = REGRESSIONS / loader
    findings.mkdir(parents=True, exist_ok=True)

    def target(data: bytes) -> None:
        try:
            load(data)
        except InputError:
            pass  # the contract: a message for the person
        except Exception:
            # Kept here as well as by libFuzzer (whose crash file needs sanitizer hooks a Python build may lack).
            (findings / f"crash-{hashlib.sha256(data).hexdigest()[:16]}").write_bytes(data)
            raise

    atheris.Setup(
        [sys.argv[0], str(corpus), f"-max_total_time={seconds}", f"-timeout={timeout}", f"-rss_limit_mb={rss_mb}",
         f"-artifact_prefix={findings}/", "-max_len=262144", "-print_final_stats=1"],
        target,
    )
    atheris.Fuzz()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loader", default="all", choices=("all", *LOADERS))
    parser.add_argument("--seconds", type=int, default=120, help="fuzzing time per loader")
    parser.add_argument("--timeout", type=int, default=1, help="seconds one input may take")
    parser.add_argument("--rss-mb", type=int, default=2048, help="memory limit of the fuzzing process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.worker:
        return fuzz(args.loader, Path(args.corpus), args.seconds, args.timeout, args.rss_mb)
    failures = 0
    for loader in LOADERS if args.loader == "all" else (args.loader,):
        with tempfile.TemporaryDirectory() as corpus:
            seed_corpus(loader, Path(corpus))
            print(f"== {loader}: {len(list(Path(corpus).iterdir()))} seed files, {args.seconds} s", flush=True)
            # One process per loader: libFuzzer exits the process when it stops.
            code = subprocess.call([
                sys.executable, __file__, "--worker", "--loader", loader, "--corpus", corpus,
                "--seconds", str(args.seconds), "--timeout", str(args.timeout), "--rss-mb", str(args.rss_mb),
            ])
            print(f"== {loader}: {'no finding' if code == 0 else f'finding written to {REGRESSIONS / loader}'}", flush=True)
            failures += code != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
