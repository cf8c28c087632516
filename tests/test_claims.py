"""Published claims (config/claims.yaml): the evaluator, the report, and the DAG gate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.claims import (
    COLUMNS,
    ClaimError,
    ClaimMismatch,
    check_claims,
    claim_outputs,
    claims_step,
    compute_claim,
    evaluate,
    load_claims,
    render,
    report_html,
)
from analysis.io import read_csv, write_yaml
from analysis.validate import ConfigError
from tests.conftest import REPO, copy_built, edit_qdpx, snakemake

CLAIMS = REPO / "config/claims.yaml"
SCHEMA = REPO / "workflow/schemas/claims.schema.json"
TARGET = "results/verify/claims.csv"

PRISMA = pd.DataFrame(
    {
        "stage": ["identified_database", "identified_database", "screened", "included"],
        "item": ["Medline", "Scopus", "", ""],
        "n": ["5", "7", "13178", "172"],
    }
)
ROLES = pd.DataFrame({"role_category": ["a", "b", "c"], "n": ["3", "9", "1"]})


def _claim(cid: str, published: object, **compute: object) -> dict[str, object]:
    return {
        "id": cid,
        "source": "10.1000/x",
        "location": "Abstract",
        "statement": "s",
        "published": published,
        "compute": {"output": "results/t.csv", **compute},
    }


# --------------------------------------------------------------------------- evaluator


@pytest.mark.parametrize(
    ("compute", "expected"),
    [
        ({"op": "rows"}, 4),
        ({"op": "rows", "where": {"stage": "identified_database"}}, 2),
        ({"op": "rows", "where": {"stage": ["screened", "included"]}}, 2),
        ({"op": "value", "where": {"stage": "screened"}, "col": "n"}, 13178),
        ({"op": "sum", "where": {"stage": "identified_database"}, "col": "n"}, 12.0),
        ({"op": "nunique", "col": "stage"}, 3),
        ({"op": "unique", "col": "stage"}, ["identified_database", "screened", "included"]),
        ({"op": "argmax", "key": "item", "col": "n"}, ""),
        ({"op": "argmin", "key": "stage", "col": "n"}, "identified_database"),
    ],
)
def test_evaluate_operations(compute: dict[str, object], expected: object) -> None:
    assert evaluate(PRISMA, compute) == expected


def test_argmax_and_argmin_pick_labels_and_report_ties() -> None:
    assert evaluate(ROLES, {"op": "argmax", "key": "role_category", "col": "n"}) == "b"
    assert evaluate(ROLES, {"op": "argmin", "key": "role_category", "col": "n"}) == "c"
    tied = pd.DataFrame({"role_category": ["a", "b"], "n": ["4", "4"]})
    assert evaluate(tied, {"op": "argmax", "key": "role_category", "col": "n"}) == ["a", "b"]


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        ({"op": "value", "where": {"stage": "identified_database"}, "col": "n"}, "exactly one row"),
        ({"op": "nunique", "col": "nope"}, "no column 'nope'"),
        ({"op": "sum", "col": "item"}, "not a number"),
        ({"op": "__import__"}, "unknown op"),
    ],
)
def test_evaluate_rejects_bad_recipes(compute: dict[str, object], message: str) -> None:
    with pytest.raises(ClaimError, match=message):
        evaluate(PRISMA, compute)


def test_render_canonical_text() -> None:
    assert render(13178.0) == "13178"
    assert render(["a", 2, 3.5]) == "a | 2 | 3.5"
    assert render(True) == "true"


# --------------------------------------------------------------------------- loading


def test_committed_claims_validate_and_cover_the_published_facts() -> None:
    claims = load_claims(CLAIMS, SCHEMA)
    ids = {c["id"] for c in claims}
    assert {
        "s1-screened",
        "s1-included",
        "s1-databases",
        "s1-role-most-common",
        "s1-role-rarest",
        "s2-managers",
        "s2-focus-groups",
        "s2-themes",
        "s3-participant-groups",
        "s3-findings",
    } <= ids
    published = {c["id"]: c["published"] for c in claims}
    assert published["s1-screened"] == 13178
    assert published["s1-role-most-common"] == "peer support"
    assert published["s1-role-rarest"] == "co-creation partner"
    assert all(o.startswith("results/") for o in claim_outputs(claims))


def test_verify_rule_reads_every_claimed_output() -> None:
    text = (REPO / "workflow/rules/verify.smk").read_text(encoding="utf-8")
    assert "config/claims.yaml" in text and "claims.schema.json" in text


def test_load_claims_rejects_bad_entries(tmp_path: Path) -> None:
    bad = _claim("Bad Id", 1, op="argmax", col="n")  # bad id; argmax without key
    dup = [_claim("s1-x", 1, op="rows"), _claim("s1-x", 2, op="rows")]
    write_yaml({"claims": [bad]}, tmp_path / "bad.yaml")
    with pytest.raises(ConfigError) as err:
        load_claims(tmp_path / "bad.yaml", SCHEMA)
    assert "claims[0].id" in str(err.value) or "claims/0/id" in str(err.value)
    assert "key" in str(err.value)
    write_yaml({"claims": dup}, tmp_path / "dup.yaml")
    with pytest.raises(ConfigError, match="unique claim id"):
        load_claims(tmp_path / "dup.yaml", SCHEMA)
    write_yaml(
        {
            "claims": [
                {**_claim("s1-y", 1, op="rows"), "compute": {"output": "/etc/passwd", "op": "rows"}}
            ]
        },
        tmp_path / "path.yaml",
    )
    with pytest.raises(ConfigError):
        load_claims(tmp_path / "path.yaml", SCHEMA)


# --------------------------------------------------------------------------- step


def _tiny(tmp_path: Path, published_screened: object) -> tuple[dict[str, str], dict[str, str]]:
    (tmp_path / "results").mkdir()
    PRISMA.to_csv(tmp_path / "results/t.csv", index=False)
    claims = [
        _claim("s1-screened", published_screened, op="value", where={"stage": "screened"}, col="n"),
        _claim(
            "s1-stages", ["identified_database", "screened", "included"], op="unique", col="stage"
        ),
    ]
    write_yaml({"claims": claims}, tmp_path / "claims.yaml")
    inp = {"claims": str(tmp_path / "claims.yaml"), "schema": str(SCHEMA)}
    out = {"csv": str(tmp_path / "v/claims.csv"), "report": str(tmp_path / "v/report.html")}
    return inp, out


def test_step_all_match(tmp_path: Path) -> None:
    inp, out = _tiny(tmp_path, 13178)
    claims_step(inp, out, exploratory=False, root=tmp_path)
    df = read_csv(out["csv"])
    assert list(df.columns) == COLUMNS
    assert df["status"].tolist() == ["match", "match"]
    assert df.loc[1, "published"] == "identified_database | screened | included"
    page = Path(out["report"]).read_text(encoding="utf-8")
    assert "2 claims: 2 match, 0 mismatch" in page and "<script" not in page


def test_step_mismatch_writes_outputs_then_raises(tmp_path: Path) -> None:
    inp, out = _tiny(tmp_path, 13179)
    with pytest.raises(ClaimMismatch) as err:
        claims_step(inp, out, exploratory=False, root=tmp_path)
    assert "s1-screened: published '13179', computed '13178'" in str(err.value)
    assert "s1-stages" not in str(err.value)
    df = read_csv(out["csv"])
    assert df.set_index("claim_id")["status"].to_dict() == {
        "s1-screened": "mismatch",
        "s1-stages": "match",
    }
    assert 'class="mismatch"' in Path(out["report"]).read_text(encoding="utf-8")


def test_step_exploratory_keeps_going(tmp_path: Path) -> None:
    inp, out = _tiny(tmp_path, 1)
    claims_step(inp, out, exploratory=True, root=tmp_path)
    assert "mismatch" in read_csv(out["csv"])["status"].tolist()


def test_report_is_deterministic_and_escaped() -> None:
    df = pd.DataFrame([["c<1>", "10.1/x", "a & b", "a & b", "match"]], columns=COLUMNS)
    assert report_html(df) == report_html(df.copy())
    assert "c&lt;1&gt;" in report_html(df) and "a &amp; b" in report_html(df)


def test_compute_claim_names_the_claim_on_error(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    ROLES.to_csv(tmp_path / "results/t.csv", index=False)
    with pytest.raises(ClaimError, match="claim s1-z .*no column"):
        compute_claim(_claim("s1-z", 1, op="nunique", col="zz"), tmp_path)


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_check_claims_on_the_committed_data(built: Path) -> None:
    df = check_claims(load_claims(CLAIMS, SCHEMA), built)
    assert set(df["status"]) == {"match"}, df[df["status"] != "match"].to_string()


# --------------------------------------------------------------------------- end to end

OLD_THEME = "Peer workers are highly valued in the service transformation process"
NEW_THEME = "Peer workers are somewhat valued in the service transformation process"


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_dag_claims_match_then_a_broken_fact_fails_the_build(built: Path, tmp_path: Path) -> None:
    # the session build, copied with its mtimes: Snakemake at its root has nothing to do
    # until the edits below, which re-run only Study 2's part of the DAG
    work = copy_built(built, tmp_path / "compendium")
    result = snakemake(work, TARGET)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    df = read_csv(work / TARGET)
    assert set(df["status"]) == {"match"}, df.to_string()
    assert (work / "results/verify/report.html").is_file()

    def rename(text: str) -> str:
        assert OLD_THEME in text
        return text.replace(OLD_THEME, NEW_THEME)

    edit_qdpx(work / "data/synthetic/study2/study2.qdpx", rename)
    stage_map = work / "data/synthetic/stage-map.csv"
    stage_map.write_text(rename(stage_map.read_text(encoding="utf-8")), encoding="utf-8")
    stc_bank = work / "data/synthetic/stc-bank.csv"  # condensates and phrases name the theme
    stc_bank.write_text(rename(stc_bank.read_text(encoding="utf-8")), encoding="utf-8")

    failed = snakemake(work, TARGET)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "s2-themes" in output
    assert "s3-findings" not in output.split("not reproduced")[-1].split("exploratory")[0]
    log = (work / "logs/verify/claims.log").read_text(encoding="utf-8")
    # the table survives in the log, its quoted values masked
    assert "s2-themes" in log and "mismatch" in log and NEW_THEME not in log

    explored = snakemake(work, TARGET, "--config", "exploratory=True")
    assert explored.returncode == 0, explored.stdout[-3000:] + explored.stderr[-6000:]
    df = read_csv(work / TARGET).set_index("claim_id")
    assert df.loc["s2-themes", "status"] == "mismatch"
    assert NEW_THEME in df.loc["s2-themes", "computed"]
    assert (df.drop(index="s2-themes")["status"] == "match").all()
