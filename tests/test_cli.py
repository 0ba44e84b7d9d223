"""The command-line contract, through real subprocesses (as outside checks call it)."""

import json
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from bcds_core.analysis import CONTRACT_FIELDS
from bcds_core.cli import COMMANDS
from bcds_core.field.analysis import CELL_FIELDS, FIELD_CONTRACT_FIELDS
from bcds_core.paths import REPO_ROOT, SAMPLES_DIR, WEIGHTS_DIR, expert_masks_root
from tests.bad_inputs import bad_corpus


def bcds(*args, env=None, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "bcds_core", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_help_lists_every_command():
    out = bcds("--help").stdout
    for name in COMMANDS:
        assert name in out


def test_the_readme_states_the_json_fields_the_commands_write():
    """A field dropped from the contract constants must be dropped from the promise too, on purpose."""
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"one JSON object per line per file: `{', '.join(CONTRACT_FIELDS)}`" in readme
    assert f"smear fields: `{', '.join(FIELD_CONTRACT_FIELDS)}`" in readme
    assert f"pixels of the file), `{', '.join(CELL_FIELDS[1:])}`" in readme


def test_predict_answers_every_file_in_order_whatever_it_holds(tmp_path):
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))[:3]
    corpus = bad_corpus()
    for name, (data, _) in corpus.items():
        (tmp_path / name).write_bytes(data)
    bad = [tmp_path / name for name in corpus]
    files = [*samples, *bad, tmp_path / "missing.png"]
    lines = bcds("predict", *files, "--json").stdout.strip().splitlines()
    answers = [json.loads(line) for line in lines]
    assert [a["file"] for a in answers] == [str(f) for f in files]
    for answer in answers:
        assert tuple(answer) == CONTRACT_FIELDS
        assert answer["status"] in ("ok", "review", "rejected") and answer["message"]
    for answer in answers[:3]:
        assert answer["ok"] and answer["label"] and answer["group"]
        assert 0 <= answer["label_confidence"] <= answer["group_confidence"] <= 1
    for answer, (_, expected) in zip(answers[3:-1], corpus.values(), strict=True):
        if expected == "error":
            assert answer["ok"] is False and answer["status"] == "rejected" and answer["error"], answer
            assert answer["label"] is None
        else:
            assert answer["ok"] is True and answer["error"] is None, answer
    assert answers[-1]["ok"] is False and "missing" in answers[-1]["error"]


def test_predict_gives_folders_pipes_and_devices_their_own_row_and_keeps_the_others(tmp_path):
    """A folder, a named pipe (read for ever) and /dev/zero (never ends) must not cost the batch."""
    import os

    sample = sorted(SAMPLES_DIR.glob("*/*.jpg"))[0]
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)
    files = [tmp_path, pipe, "/dev/zero", sample]
    answers = [json.loads(line) for line in bcds("predict", *files, "--json").stdout.strip().splitlines()]
    assert [a["file"] for a in answers] == [str(f) for f in files]
    assert [a["ok"] for a in answers] == [False, False, False, True]
    assert "folder" in answers[0]["error"] and "not a regular file" in answers[2]["error"]


def test_evaluate_on_the_samples_writes_the_review_artifacts(tmp_path):
    out = tmp_path / "eval"
    summary = json.loads(
        bcds("evaluate", SAMPLES_DIR, "--json", "--out", out).stdout.strip().splitlines()[-1]
    )
    for key in (
        "n",
        "accuracy_8",
        "accuracy_11",
        "macro_f1_8",
        "macro_f1_11",
        "ece_8",
        "ece_11",
        "n_review",
        "n_rejected",
    ):
        assert key in summary
    assert summary["n"] == 33 and summary["accuracy_8"] >= 0.8
    assert summary["measured_on"] == {"images": SAMPLES_DIR.name, "split": "all", "limit": None}
    for name in (
        "confusion_8.csv",
        "confusion_11.csv",
        "report_11.json",
        "misclassified.csv",
        "predictions.csv",
    ):
        assert (out / name).exists()


def test_evaluate_on_another_labs_cells_without_fine_labels_writes_every_file(tmp_path):
    lab = tmp_path / "lab"
    for group in ("lymphocyte", "monocyte"):
        (lab / group).mkdir(parents=True)
        for i, path in enumerate(sorted((SAMPLES_DIR / group).glob("*.jpg"))):
            shutil.copy(path, lab / group / f"scope_{i}.jpg")
    out = tmp_path / "eval"
    summary = json.loads(bcds("evaluate", lab, "--json", "--out", out).stdout.strip().splitlines()[-1])
    assert summary["n"] == 6 and summary["n_fine"] == 0 and summary["macro_f1_11"] is None
    assert json.loads((out / "report_11.json").read_text()) == {}
    assert (out / "confusion_11.csv").read_text().count("\n") == 16  # the header and 15 rows of zeros
    assert json.loads((out / "metrics.json").read_text()) == summary


def test_evaluate_says_why_a_folder_gives_no_images(tmp_path):
    """ "no labelled images found" hid the skipped files' reasons, and a --split of PBC's that none
    of another lab's images is in."""
    lab = tmp_path / "lab"
    (lab / "cats").mkdir(parents=True)
    Image.new("RGB", (64, 64), (200, 120, 160)).save(lab / "cats" / "a.jpg")  # in no split of PBC's
    result = bcds("evaluate", lab, "--json", check=False)
    assert result.returncode == 2 and "cats/a.jpg: folder 'cats' is not a group" in result.stderr
    (lab / "cats").rename(lab / "Lymphocytes")
    result = bcds("evaluate", lab, "--split", "test", "--json", check=False)
    assert result.returncode == 2 and "none of the 1 labelled images" in result.stderr
    assert "leave --split out" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not expert_masks_root().is_dir(), reason="expert mask folder not present")
def test_evaluate_masks_on_expert_masks(tmp_path):
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
        for name in ("001.png", "025.png", "045.png"):
            shutil.copy(expert_masks_root() / sub / name, tmp_path / sub / name)
    summary = json.loads(bcds("evaluate-masks", tmp_path, "--json").stdout.strip().splitlines()[-1])
    assert summary["n"] == 3 and summary["mean_iou"] > 0.7 and summary["mean_dice"] > summary["mean_iou"]


def test_changed_weights_give_a_clear_error_and_exit_code(tmp_path):
    shutil.copytree(WEIGHTS_DIR, tmp_path / "weights")
    weights = tmp_path / "weights" / "classifier" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    env = {**__import__("os").environ, "BCDS_WEIGHTS_DIR": str(tmp_path / "weights")}
    result = bcds("predict", next(SAMPLES_DIR.glob("*/*.jpg")), "--json", env=env, check=False)
    assert result.returncode == 2
    assert "changed or truncated" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command):
    from bcds_core.cli import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0


def test_weight_averaging_without_a_run_to_average_is_refused_before_training(tmp_path):
    result = bcds("train-classifier", "--average-weights", "--run-dir", tmp_path / "run", check=False)
    assert result.returncode == 2
    assert "--init-from" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_soup_with_a_start_of_its_own_is_refused_before_anything_loads(tmp_path):
    result = bcds(
        "train-classifier", "--soup", "a", "b", "--init-from", "c", "--run-dir", tmp_path / "run", check=False
    )
    assert result.returncode == 2
    assert "--soup" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_flip_view_count_the_product_cannot_average_is_refused_before_training(tmp_path):
    result = bcds("train-classifier", "--view-choices", "1", "3", "--run-dir", tmp_path / "run", check=False)
    assert result.returncode == 2
    assert "--view-choices" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_screen_of_healthy_samples_suspects_no_leukaemia_and_states_its_rule():
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))
    lines = bcds("screen", *samples, "--json").stdout.strip().splitlines()
    assert len(lines) == len(samples) + 1
    summary = json.loads(lines[-1])
    assert {"n", "counts", "blast_fraction", "leukaemia_suspected", "apl_score", "message"} <= set(summary)
    assert summary["leukaemia_suspected"] is False and "not a diagnosis" in summary["message"]
    assert summary["n"] == sum(summary["counts"].values())


def test_screen_says_how_many_cells_need_a_look_in_words_and_in_json(tmp_path):
    """The message alone would hide cells flagged as a possible blast: the JSON summary said nothing
    of them, only the words did."""
    samples = sorted(SAMPLES_DIR.glob("lymphocyte/*.jpg"))
    grey = tmp_path / "grey.png"  # colour cues missing: left for review whatever the weights
    Image.open(samples[0]).convert("L").save(grey)
    samples.append(grey)
    lines = [json.loads(line) for line in bcds("screen", *samples, "--json").stdout.strip().splitlines()]
    review = sum(line["status"] == "review" for line in lines[:-1])
    assert review, "the test needs a sample the model leaves for review"
    message = lines[-1]["message"]
    assert f"{review} cell{'s' if review > 1 else ''} need{'s' if review == 1 else ''} a look" in message
    assert message.endswith("A screening aid for a person to check, not a diagnosis.")
    assert bcds("screen", *samples).stdout.strip().startswith(message)


def test_bad_output_folders_and_limits_are_refused_before_any_work(tmp_path):
    taken = tmp_path / "a_file"
    taken.write_text("x")
    refused = bcds("evaluate", SAMPLES_DIR, "--out", taken, check=False)
    assert refused.returncode == 2 and "exists and is not a folder" in refused.stderr
    for limit in ("0", "-5"):
        refused = bcds("evaluate", SAMPLES_DIR, "--limit", limit, check=False)
        assert refused.returncode == 2 and "must be a whole number above 0" in refused.stderr


def test_a_field_gets_boxes_from_analyze_field_and_no_ok_from_predict(tmp_path):
    from bcds_core.benchmark import field_of
    from bcds_core.image_io import decode_image

    sample = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]
    field = tmp_path / "field.jpg"
    field.write_bytes(field_of(decode_image(sample.read_bytes()).rgb))
    answer = json.loads(bcds("analyze-field", field, "--json").stdout.strip().splitlines()[-1])
    assert tuple(answer) == FIELD_CONTRACT_FIELDS and answer["ok"]
    assert answer["cells"] and all(set(cell) == set(CELL_FIELDS) for cell in answer["cells"])
    for cell in answer["cells"]:
        x0, y0, x1, y1 = cell["box"]
        assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 480
    single = json.loads(bcds("predict", field, "--json").stdout.strip())
    assert single["status"] != "ok" and "field" in single["message"]
    # screened by its white cells, not as one cell nor left out; given twice, counted once
    copy = tmp_path / "copy of field.jpg"
    copy.write_bytes(field.read_bytes())
    summary = json.loads(bcds("screen", field, copy, sample, "--json").stdout.strip().splitlines()[-1])
    answered = [c for c in answer["cells"] if c["group"] and c["status"] != "rejected"]
    assert summary["n"] == len(answered) + 1 and "smear field" not in summary["message"]
    assert "1 duplicate image counted once." in summary["message"]


def test_report_writes_a_pdf_whose_differential_agrees_with_predict_and_lists_the_broken_file(tmp_path):
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))[::3]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    pdf = tmp_path / "report.pdf"
    summary = json.loads(
        bcds("report", *samples, broken, "--pdf", pdf, "--json").stdout.strip().splitlines()[-1]
    )
    assert pdf.read_bytes().startswith(b"%PDF") and summary["n"] == len(samples) + 1
    assert [u["file"] for u in summary["unusable"]] == [str(broken)]
    answers = [json.loads(line) for line in bcds("predict", *samples, "--json").stdout.strip().splitlines()]
    counted = {row["cell"]: row["count"] for row in summary["differential"]["rows"]}
    white = sum(
        a["status"] != "rejected" and a["group"] not in ("platelet", "erythroblast", "smudge")
        for a in answers
    )
    assert sum(counted.values()) == summary["differential"]["white_cells"] == white


def test_adapt_writes_a_profile_that_predict_reads(tmp_path):
    lab = tmp_path / "lab"
    for path in sorted(SAMPLES_DIR.glob("*/*.jpg")):
        (lab / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, lab / path.parent.name / path.name)
    (lab / "neutrophiles").mkdir()  # a misspelt group: its cells are left out, and the lab told so
    shutil.copy(next(lab.glob("neutrophil/*.jpg")), lab / "neutrophiles" / "cell.jpg")
    done = bcds("adapt", lab, "--out", tmp_path / "profile", "--json")
    summary = json.loads(done.stdout.splitlines()[-1])
    assert "folders named after no group were left out: neutrophiles" in done.stderr
    assert summary["n"] == len(list(lab.glob("*/*.jpg"))) - 1
    assert {"accuracy_before", "accuracy_after_cv", "batchnorm_cells", "profile"} <= set(summary)
    sample = next(lab.glob("lymphocyte/*.jpg"))
    done = bcds("predict", sample, "--json", "--profile", tmp_path / "profile")
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["ok"] and answer["group"] is not None
    assert (
        f"Answers read through the lab profile {tmp_path / 'profile'} ({summary['n']} labelled cells"
        in done.stderr
    )


@pytest.mark.parametrize("value", ["inf", "nan", "-0.1", "0"])
def test_a_pixel_size_that_is_not_a_finite_positive_number_is_refused_by_every_command(value, tmp_path):
    sample = sorted(SAMPLES_DIR.glob("*/*.jpg"))[0]
    for command in (["predict", sample], ["evaluate", SAMPLES_DIR], ["analyze-field", sample]):
        result = bcds(*command, "--pixel-size", value, check=False)
        assert result.returncode == 2 and "must be a number above 0" in result.stderr


def test_an_output_that_cannot_be_written_is_refused_before_the_work(tmp_path):
    sample = sorted(SAMPLES_DIR.glob("*/*.jpg"))[0]
    result = bcds("report", sample, "--pdf", tmp_path / "missing" / "r.pdf", check=False)
    assert result.returncode == 2 and "does not exist" in result.stderr
    (tmp_path / "taken").write_text("a file")
    result = bcds("adapt", SAMPLES_DIR, "--out", tmp_path / "taken", check=False)
    assert result.returncode == 2 and "is not a folder" in result.stderr


def test_index_and_ood_eval_without_their_images_say_so_and_write_nothing(tmp_path):
    import os

    (tmp_path / "empty").mkdir()
    outputs = ["--split-out", tmp_path / "split.csv", "--report", tmp_path / "report.md"]
    for folder, message in ((tmp_path / "missing", "is not a folder"), (tmp_path / "empty", "no images")):
        result = bcds("index", folder, *outputs, check=False)
        assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "split.csv").exists() and not (tmp_path / "report.md").exists()
    result = bcds("ood-eval", env={**os.environ, "BCDS_DATA_DIR": str(tmp_path / "missing")}, check=False)
    assert result.returncode == 2 and "no pbc images in" in result.stderr


def test_developer_commands_given_a_wrong_folder_say_so(tmp_path):
    import os

    result = bcds("fit-answer-checks", "--release", tmp_path / "none", check=False)
    assert result.returncode == 2 and "No trained model" in result.stderr
    result = bcds("extract-deepapl", "--mirror", tmp_path / "none", check=False)
    assert result.returncode == 2 and "is not a git directory" in result.stderr
    missing_data = {**os.environ, "BCDS_DATA_DIR": str(tmp_path / "none")}
    result = bcds("build-cache", "--out", tmp_path / "cache", env=missing_data, check=False)
    assert result.returncode == 2 and "no pbc images" in result.stderr and not (tmp_path / "cache").exists()


def test_evaluate_masks_names_a_pair_it_cannot_score(tmp_path):
    from PIL import Image

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    Image.new("RGB", (40, 40)).save(tmp_path / "images" / "a.png")
    Image.new("L", (48, 48)).save(tmp_path / "masks" / "a.png")
    result = bcds("evaluate-masks", tmp_path, check=False)
    assert result.returncode == 2 and "a.png: the mask is (48, 48), its image (40, 40)" in result.stderr
    (tmp_path / "images" / "a.png").write_bytes(b"not a png")
    result = bcds("evaluate-masks", tmp_path, check=False)
    assert result.returncode == 2 and "a.png:" in result.stderr and "Traceback" not in result.stderr
