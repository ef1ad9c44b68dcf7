"""shapes-vqa: the generator is fixed and right, questions are read as people type them, scenes as people upload them."""

import hashlib
import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from fusion_core.corruptions import corrupt, list_corruptions
from fusion_core.data import shapes
from fusion_core.errors import InputError
from fusion_core.preprocess.scene import load_scene
from fusion_core.tasks import get_task
from fusion_core.tasks.shapes_vqa import SCENES, VOCABULARY, load_question, parse_question

TASK = get_task("shapes-vqa")
PINNED = "a8ba272c56340157"  # sha256 of the test split's scene pixels, questions and answers (first 16 hex)


def digest(data) -> str:
    h = hashlib.sha256(data.pools["scene"].numpy().tobytes())
    h.update("\n".join(data.ids["question"]).encode())
    h.update(data.labels.numpy().tobytes())
    return h.hexdigest()[:16]


def test_the_splits_are_fixed_and_sized_as_documented():
    test = TASK.load("test", None)
    assert digest(test) == PINNED
    assert len(test) == 20 * SCENES["test"] and test.pools["scene"].shape == (SCENES["test"], 3, shapes.SIDE, shapes.SIDE)
    relation = test.strata["relation"]
    assert relation.count("relational") == relation.count("non-relational") == 10 * SCENES["test"]
    # No scene is in two splits (different seeds draw different scenes).
    val = TASK.load("val", None)
    seen = {t.numpy().tobytes() for t in val.pools["scene"]}
    assert not seen & {t.numpy().tobytes() for t in test.pools["scene"][:200]}


def test_a_scene_does_not_depend_on_how_many_are_made():
    assert shapes.scene("test", 7) == shapes.scene.__wrapped__("test", 7)
    objects, questions = shapes.scene("test", 7)
    assert [o.colour for o in objects] == list(shapes.COLOURS) and len(questions) == 20
    assert len({(q.template, q.colour) for q in questions}) == 20


def read_scene(pixels: np.ndarray):
    """The objects found in a rendered scene by their colour alone: (colour, shape, x, y), independent of the generator's list."""
    found = []
    for colour, rgb in shapes.COLOURS.items():
        core = np.linalg.norm(pixels.astype(float) - np.array(rgb), axis=-1) < 30
        rows, cols = np.nonzero(core)
        fill = core.sum() / ((np.ptp(rows) + 1) * (np.ptp(cols) + 1))
        found.append((colour, "square" if fill > 0.9 else "circle", cols.mean() + 0.5, rows.mean() + 0.5))
    return found


def answer_from_pixels(found, template, colour, side):
    """The answer recomputed from the objects read off the pixels, and whether it is clear-cut there."""
    target = next(o for o in found if o[0] == colour)
    others = [o for o in found if o[0] != colour]
    distance = {o[0]: math.hypot(o[2] - target[2], o[3] - target[3]) for o in others}
    if template == "shape":
        return target[1], True
    if template in ("left", "top"):
        value = target[2] if template == "left" else target[3]
        return ("yes" if value < side / 2 else "no"), abs(value - side / 2) > 0.5
    if template == "count":
        return str(sum(o[1] == target[1] for o in found)), True
    ordered = sorted(others, key=lambda o: distance[o[0]], reverse=template == "farthest")
    return ordered[0][1], abs(distance[ordered[0][0]] - distance[ordered[1][0]]) > 0.5


def test_answers_agree_with_the_scene_as_drawn():
    """Every answer, recomputed from the rendered pixels (colour blobs, their centres and fill), matches the generator's."""""
    data = TASK.load("test", None)
    checked = ambiguous = 0
    for row in range(0, 2000):
        scene = data.pools["scene"][data.index["scene"][row]]
        pixels = (scene.permute(1, 2, 0).numpy() * 255).round()
        template, colour = parse_question(data.ids["question"][row])
        expected, clear = answer_from_pixels(read_scene(pixels), template, colour, shapes.SIDE)
        if not clear:
            ambiguous += 1
            continue
        assert TASK.labels[int(data.labels[row])] == expected, (row, data.ids["question"][row])
        checked += 1
    # The generator asks only questions whose answer is clear-cut (shapes.MARGIN), so all of them read clearly here.
    assert checked == 2000 and ambiguous == 0


def test_every_template_has_several_phrasings_and_the_answer_space_is_shared():
    for template, (_, phrasings) in shapes.TEMPLATES.items():
        assert len(phrasings) >= 3, template
    assert TASK.labels == ("yes", "no", "square", "circle", "1", "2", "3", "4", "5", "6")
    for template, (_, phrasings) in shapes.TEMPLATES.items():
        for phrasing in phrasings:
            assert parse_question(phrasing.format(c="grey")) == (template, "grey")


@pytest.mark.parametrize(
    "typed", ["what shape is the RED object", "  What   shape is the red object??? ", "WHAT SHAPE IS THE RED OBJECT."]
)
def test_questions_are_read_whatever_the_case_punctuation_and_spacing(typed):
    assert torch.equal(load_question(typed.encode()), load_question(b"What shape is the red object?"))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   ?!  ", "empty"),
        (b"What colour is the red blob?", "'colour'"),
        (b"What shape is the rde object?", "did you mean 'red'"),
        (b"What shape is the red objekt?", "did you mean 'object'"),
        (("what " * 100).encode(), "limit"),
        (b"\xff\xfe\x00\xd8 not text \xc3\x28", "not text"),
        (b"What shape\x00 is the red object?", "control characters"),
        (b"x" * 5000, "limit is 4,096"),
    ],
)
def test_a_question_that_cannot_be_read_gets_a_clear_message(data, message):
    with pytest.raises(InputError, match=message.replace("?", r"\?")):
        load_question(data)


def test_unknown_words_are_named_with_suggestions():
    with pytest.raises(InputError) as error:
        load_question(b"How many objects hav the same shap as the blu object?")
    text = str(error.value)
    assert "'hav'" in text and "'shap'" in text and "'blu'" in text and "'blue'" in text and "Known words:" in text


def image_file(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, mode, size", [("PNG", "RGB", (64, 64)), ("JPEG", "RGB", (300, 300)), ("WEBP", "RGB", (75, 75)),
                                             ("PNG", "RGBA", (120, 80)), ("BMP", "L", (40, 40)), ("GIF", "P", (256, 256))])
def test_scene_uploads_in_any_format_and_size_come_out_at_the_scene_size(fmt, mode, size):
    objects, _ = shapes.scene("test", 0)
    picture = Image.fromarray(shapes.render(objects)).resize(size).convert(mode)
    scene = load_scene(image_file(picture, fmt))
    assert scene.shape == (3, shapes.SIDE, shapes.SIDE) and 0.0 <= float(scene.min()) and float(scene.max()) <= 1.0


def test_a_generated_scene_uploaded_as_png_is_read_back_exactly():
    objects, _ = shapes.scene("test", 3)
    pixels = shapes.render(objects)
    scene = load_scene(image_file(Image.fromarray(pixels), "PNG"))
    assert torch.equal((scene * 255).round().byte().permute(1, 2, 0), torch.from_numpy(pixels.copy()))


def test_bad_scene_uploads_are_refused_with_a_message():
    with pytest.raises(InputError, match="empty"):
        load_scene(b"")
    with pytest.raises(InputError, match="not an image"):
        load_scene(b"What shape is the red object?")


@pytest.mark.parametrize("name", list_corruptions("text"))
def test_text_corruptions_go_from_identity_to_nothing_readable(name):
    tokens = torch.stack([VOCABULARY.encode("What shape is the object closest to the red object?")] * 64)
    assert torch.equal(corrupt("text", name, tokens, 0.0), tokens)
    half = corrupt("text", name, tokens, 0.5, torch.Generator().manual_seed(0))
    assert not torch.equal(half, tokens) and half.shape == tokens.shape
    if name != "word_swap":  # a full swap still has every word; the others leave nothing to read
        full = corrupt("text", name, tokens, 1.0, torch.Generator().manual_seed(0))
        assert not bool(((full >= 2)).any())


def test_the_answer_can_be_named_for_a_typed_question_about_a_test_scene():
    objects, _ = shapes.scene("test", 5)
    red = next(o for o in objects if o.colour == "red")
    label = TASK.label_for({"scene": "test-5", "question": "Is the red object on the left?"})
    assert TASK.labels[label] == ("yes" if red.x < shapes.SIDE / 2 else "no")
    assert TASK.label_for({"scene": "upload", "question": "Is the red object on the left?"}) is None
    assert TASK.label_for({"scene": "test-5", "question": "Is red left?"}) is None


def test_the_scene_slots_place_is_the_soft_argmax_over_every_pixel():
    """The stem keeps per-cell sums and means; the head must recombine them into the softmax over pixels."""
    from fusion_core.encoders import create_encoder
    from fusion_core.encoders.scene_cnn import with_coordinates

    torch.manual_seed(0)
    encoder = create_encoder(get_task("shapes-vqa").modality("scene").encoder).eval()
    scenes = torch.rand(3, 3, shapes.SIDE, shapes.SIDE) * 2 - 1
    with torch.no_grad():
        places = encoder.place(encoder(scenes))
        positioned = with_coordinates(scenes)
        weights = torch.softmax(encoder.where(positioned).flatten(2), dim=-1)
        grid = positioned[:, -2:].flatten(2)  # (B, 2, pixels)
        expected = torch.einsum("bkp,bcp->bkc", weights, grid)
    torch.testing.assert_close(places, expected, atol=1e-5, rtol=0)
    assert places.shape == (3, len(shapes.COLOURS), 2)
