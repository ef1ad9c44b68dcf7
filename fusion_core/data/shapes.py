"""Sort-of-CLEVR scenes and questions (Santoro et al. 2017, https://arxiv.org/abs/1706.01427), generated here.

A scene holds six objects, one per colour, each a square or a circle, at random non-overlapping
places. Questions come from six templates, each with several English phrasings; the answer is
computed from the scene's object list. Everything is drawn from seeded generators keyed by
(split, scene number), so scene i of a split is the same on every machine however many are made.
"""

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image, ImageDraw

from ..preprocess.text import normalise

SEED = 20170610  # the paper's arXiv date; any fixed number would do
SPLIT_IDS = {"train": 0, "val": 1, "test": 2}
COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 60),
    "blue": (40, 80, 230),
    "orange": (255, 140, 0),
    "grey": (128, 128, 128),
    "yellow": (235, 215, 0),
}
SHAPES = ("square", "circle")
BACKGROUND = (255, 255, 255)
SIDE = 48  # pixels; the paper's 75, scaled down to what the encoder needs (README "shapes-vqa")
RADIUS = 3.5  # half the side of a square, the radius of a circle
MIN_GAP = 2.0  # pixels of background at least between two objects' bounding boxes
SUPERSAMPLE = 4  # draw at 4x and average down: smooth edges, as a photo of a scene would have
ANSWERS = ("yes", "no", "square", "circle", "1", "2", "3", "4", "5", "6")

# template -> (relational?, phrasings); "{c}" is the colour the question is about.
TEMPLATES: Dict[str, Tuple[bool, Tuple[str, ...]]] = {
    "shape": (False, (
        "What shape is the {c} object?",
        "What is the shape of the {c} object?",
        "Is the {c} object a square or a circle?",
        "Which shape does the {c} object have?",
    )),
    "left": (False, (
        "Is the {c} object on the left?",
        "Is the {c} object in the left half?",
        "Is the {c} one on the left side of the image?",
        "Does the {c} object lie on the left?",
    )),
    "top": (False, (
        "Is the {c} object at the top?",
        "Is the {c} object in the upper half?",
        "Is the {c} one near the top of the image?",
        "Does the {c} object lie in the top half?",
    )),
    "closest": (True, (
        "What shape is the object closest to the {c} object?",
        "What is the shape of the object nearest to the {c} one?",
        "Which shape does the object closest to the {c} object have?",
        "Is the object nearest the {c} object a square or a circle?",
    )),
    "farthest": (True, (
        "What shape is the object farthest from the {c} object?",
        "What is the shape of the object furthest from the {c} one?",
        "Which shape does the object farthest from the {c} object have?",
        "Is the object furthest from the {c} object a square or a circle?",
    )),
    "count": (True, (
        "How many objects have the same shape as the {c} object?",
        "How many objects share the shape of the {c} object?",
        "How many objects are the same shape as the {c} one?",
        "Count the objects with the same shape as the {c} object.",
    )),
}
QUESTIONS_PER_KIND = 10  # per scene: 10 non-relational and 10 relational, as in the paper
MARGIN = 1.0  # pixels: a question is asked only where its answer is clear by at least this much (see ``clear_cut``)


@dataclass(frozen=True)
class SceneObject:
    colour: str
    shape: str
    x: float  # centre, pixels from the left
    y: float  # centre, pixels from the top


@dataclass(frozen=True)
class Question:
    template: str
    colour: str
    text: str

    @property
    def relational(self) -> bool:
        return TEMPLATES[self.template][0]


def generate_scene(rng: np.random.Generator, side: int = SIDE) -> Tuple[SceneObject, ...]:
    """Six objects, one per colour, placed uniformly at random without overlapping."""
    objects: List[SceneObject] = []
    low, high = RADIUS + 1, side - RADIUS - 1
    for colour in COLOURS:
        while True:
            x, y = rng.uniform(low, high, size=2)
            if all(max(abs(x - o.x), abs(y - o.y)) >= 2 * RADIUS + MIN_GAP for o in objects):
                break
        objects.append(SceneObject(colour, SHAPES[int(rng.integers(2))], float(x), float(y)))
    return tuple(objects)


def render(objects: Tuple[SceneObject, ...], side: int = SIDE) -> np.ndarray:
    """The scene as an RGB array (side, side, 3) of uint8."""
    big = Image.new("RGB", (side * SUPERSAMPLE, side * SUPERSAMPLE), BACKGROUND)
    draw = ImageDraw.Draw(big)
    for o in objects:
        box = [SUPERSAMPLE * v for v in (o.x - RADIUS, o.y - RADIUS, o.x + RADIUS, o.y + RADIUS)]
        (draw.rectangle if o.shape == "square" else draw.ellipse)(box, fill=COLOURS[o.colour])
    return np.asarray(big.resize((side, side), Image.Resampling.BOX))


def answer(objects: Tuple[SceneObject, ...], template: str, colour: str, side: int = SIDE) -> str:
    """The answer to a template question about ``colour``, from the object list."""
    target = next(o for o in objects if o.colour == colour)
    others = [o for o in objects if o is not target]

    def distance(o: SceneObject) -> float:
        return math.hypot(o.x - target.x, o.y - target.y)

    if template == "shape":
        return target.shape
    if template == "left":
        return "yes" if target.x < side / 2 else "no"
    if template == "top":
        return "yes" if target.y < side / 2 else "no"
    if template == "closest":
        return min(others, key=distance).shape
    if template == "farthest":
        return max(others, key=distance).shape
    if template == "count":
        return str(sum(o.shape == target.shape for o in objects))
    raise ValueError(f"unknown template {template!r}")


def clear_cut(objects: Tuple[SceneObject, ...], template: str, colour: str, side: int = SIDE) -> bool:
    """Whether a person could answer the question from the drawn scene without measuring to the pixel.

    Drawn at 48 pixels, two distances that differ by a tenth of a pixel (or an object sitting on the
    midline) cannot be told apart on the screen, nor recovered from the pixels: such questions are
    not asked. Shape and count questions are always clear.
    """
    target = next(o for o in objects if o.colour == colour)
    if template in ("left", "top"):
        return abs((target.x if template == "left" else target.y) - side / 2) >= MARGIN
    if template in ("closest", "farthest"):
        distances = sorted(math.hypot(o.x - target.x, o.y - target.y) for o in objects if o is not target)
        pair = distances[:2] if template == "closest" else distances[-2:]
        return abs(pair[1] - pair[0]) >= MARGIN
    return True


def clear_questions(objects: Tuple[SceneObject, ...], relational: bool, side: int = SIDE) -> List[Tuple[str, str]]:
    """The (template, colour) pairs of one kind whose answer is clear-cut in this scene."""
    return [
        (t, c) for t, (rel, _) in TEMPLATES.items() if rel == relational for c in COLOURS if clear_cut(objects, t, c, side)
    ]


def scene_questions(rng: np.random.Generator, objects: Tuple[SceneObject, ...], side: int = SIDE) -> List[Question]:
    """Ten non-relational and ten relational questions, each (template, colour) at most once and clear-cut."""
    out = []
    for relational in (False, True):
        combos = clear_questions(objects, relational, side)
        for k in rng.choice(len(combos), size=QUESTIONS_PER_KIND, replace=False):
            template, colour = combos[int(k)]
            phrasings = TEMPLATES[template][1]
            out.append(Question(template, colour, phrasings[int(rng.integers(len(phrasings)))].format(c=colour)))
    return out


@lru_cache(maxsize=16)
def scene(split: str, number: int, side: int = SIDE) -> Tuple[Tuple[SceneObject, ...], Tuple[Question, ...]]:
    """Scene ``number`` of ``split``: its objects and its questions, the same on every machine."""
    rng = np.random.default_rng([SEED, SPLIT_IDS[split], number])
    while True:  # a scene with fewer than ten clear-cut questions of a kind (very rare) is drawn again
        objects = generate_scene(rng, side)
        if all(len(clear_questions(objects, rel, side)) >= QUESTIONS_PER_KIND for rel in (False, True)):
            return objects, tuple(scene_questions(rng, objects, side))


def vocabulary() -> List[str]:
    """Every word the templates can produce, lower case, in sorted order."""
    words = set()
    for _, phrasings in TEMPLATES.values():
        for phrasing in phrasings:
            for colour in COLOURS:
                words.update(normalise(phrasing.format(c=colour)))
    return sorted(words)
