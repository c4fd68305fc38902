#!/usr/bin/env python3
"""Keeps the GitHub Actions workflows valid, since no machine of this project runs them.

Checks every file in .github/workflows of the source tree and fails, naming the file and the
problem, when
  - it does not parse as YAML, or its top level is not a mapping with `on` and `jobs`;
  - a job has no `runs-on` or no `steps` (a job that calls a reusable workflow with `uses`
    needs neither), or a step has neither `run` nor `uses`;
  - a `run` script names a preset (`--preset NAME`, `--preset=NAME`) that CMakePresets.json has
    not, or not of the kind the command takes: `cmake --preset` a configure preset,
    `cmake --build --preset` a build preset, `ctest --preset` a test preset (`./test.sh --preset`
    all three; any other program's, one of any kind). Hidden presets count as missing; a name
    from `${{ matrix.X }}` is checked for each value the job's matrix gives X.
It also fails when vcpkg.json does not parse or lacks one of the dependencies the build finds
(third_party/CMakeLists.txt): abseil, gtest, libuv, protobuf.

  python3 tests/docs/check_workflows.py [SOURCE_DIR]

SOURCE_DIR (default: this checkout) holds .github/workflows, CMakePresets.json and vcpkg.json.
Run by ctest as Docs.WorkflowsParse (tests/CMakeLists.txt). Needs PyYAML (Debian:
python3-yaml, which scripts/setup.sh installs; elsewhere `pip install pyyaml`).
"""

import json
import re
import shlex
import sys
from pathlib import Path

try:
    import yaml
except ImportError:
    sys.exit("check_workflows.py: needs PyYAML (Debian: apt-get install python3-yaml; "
             "elsewhere: python3 -m pip install pyyaml)")

VCPKG_REQUIRED = ("abseil", "gtest", "libuv", "protobuf")
PRESET_KINDS = {"configure": "configurePresets", "build": "buildPresets", "test": "testPresets"}
MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def load_json(path, problems):
    """The parsed file, or None with the problem appended."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problems.append(f"{path}: does not parse as JSON: {error}")
        return None


def load_presets(source_dir, problems):
    """Returns {kind: set of visible preset names} from CMakePresets.json."""
    data = load_json(source_dir / "CMakePresets.json", problems)
    if data is None:
        return None
    presets = {}
    for kind, key in PRESET_KINDS.items():
        presets[kind] = {p["name"] for p in data.get(key, [])
                         if isinstance(p, dict) and "name" in p and not p.get("hidden", False)}
    return presets


def check_vcpkg(source_dir, problems):
    path = source_dir / "vcpkg.json"
    data = load_json(path, problems)
    if data is None:
        return
    names = set()
    dependencies = data.get("dependencies", []) if isinstance(data, dict) else []
    for dependency in dependencies if isinstance(dependencies, list) else []:
        if isinstance(dependency, str):
            names.add(dependency)
        elif isinstance(dependency, dict) and isinstance(dependency.get("name"), str):
            names.add(dependency["name"])
    missing = [name for name in VCPKG_REQUIRED if name not in names]
    if missing:
        problems.append(f"{path}: dependencies lack {', '.join(missing)} "
                        f"(the build finds {', '.join(VCPKG_REQUIRED)})")


def shell_commands(script):
    """Splits a run script into commands, each a list of words: lines joined at a trailing `\\`
    (sh) or `` ` `` (PowerShell), then cut at `&&`, `||`, `;` and `|`. Each `${{ ... }}`
    expression stays one word's part, as written."""
    script = re.sub(r"[\\`]\r?\n", " ", script)
    expressions = []

    def hide(match):
        expressions.append(match.group(0))
        return f"@@EXPRESSION{len(expressions) - 1}@@"

    script = re.sub(r"\$\{\{.*?\}\}", hide, script)
    commands = []
    for line in script.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part, comments=True, posix=True)
            except ValueError:
                words = part.split()
            words = [re.sub(r"@@EXPRESSION(\d+)@@", lambda m: expressions[int(m.group(1))], word)
                     for word in words]
            if words:
                commands.append(words)
    return commands


def preset_uses(words):
    """Yields (name, kinds needed, program) for each --preset in one command."""
    program = Path(words[0]).name.lower()
    if program.endswith(".exe"):
        program = program[:-4]
    for i, word in enumerate(words):
        if word == "--preset" and i + 1 < len(words):
            name = words[i + 1]
        elif word.startswith("--preset="):
            name = word[len("--preset="):]
        else:
            continue
        if program == "cmake":
            kinds = ["build"] if "--build" in words else ["configure"]
            if "--workflow" in words:
                kinds = ["workflow"]
        elif program == "ctest":
            kinds = ["test"]
        elif program == "test.sh":
            kinds = ["configure", "build", "test"]  # it configures, builds and tests each preset
        else:
            kinds = []  # a program of our own: a preset of any kind
        yield name, kinds, program


def matrix_values(job, key):
    strategy = job.get("strategy") if isinstance(job, dict) else None
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return None
    values = []
    if isinstance(matrix.get(key), list):
        values += [str(v) for v in matrix[key]]
    for entry in matrix.get("include", []) or []:
        if isinstance(entry, dict) and key in entry:
            values.append(str(entry[key]))
    return values or None


def expand_name(name, job):
    """The preset names `name` stands for, or an error saying why it cannot be checked."""
    keys = MATRIX_EXPRESSION.findall(name)
    names = [name]
    for key in keys:
        values = matrix_values(job, key)
        if values is None:
            return None, f"names a preset through matrix.{key}, which the job's matrix lacks"
        pattern = re.compile(r"\$\{\{\s*matrix\." + re.escape(key) + r"\s*\}\}")
        names = [pattern.sub(value, n) for n in names for value in values]
    for n in names:
        if "${{" in n or "$" in n:
            return None, (f"names preset {name!r}, which this check cannot resolve "
                          "(write the name, or a matrix value)")
    return names, None


def check_run(where, script, job, presets, problems, checked):
    if presets is None:
        return
    for words in shell_commands(str(script)):
        for name, kinds, program in preset_uses(words):
            names, error = expand_name(name, job)
            if error:
                problems.append(f"{where}: `{' '.join(words)}` {error}")
                continue
            for resolved in names:
                checked.append(resolved)
                if kinds == ["workflow"]:
                    problems.append(f"{where}: `{' '.join(words)}` uses a workflow preset; "
                                    "CMakePresets.json defines none")
                    continue
                wanted = kinds or list(PRESET_KINDS)
                have = [kind for kind in wanted if resolved in presets[kind]]
                if kinds and len(have) < len(kinds):
                    lacking = [kind for kind in kinds if kind not in have]
                    problems.append(
                        f"{where}: `{' '.join(words)}` names preset {resolved!r}, which "
                        f"CMakePresets.json has not as a (visible) {' or '.join(lacking)} preset")
                elif not kinds and not have:
                    problems.append(f"{where}: `{' '.join(words)}` names preset {resolved!r}, "
                                    "which CMakePresets.json has not")


def check_workflow(path, presets, problems, checked):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problems.append(f"{path}: YAML does not parse: {error}")
        return
    if not isinstance(data, dict):
        problems.append(f"{path}: the top level is not a mapping")
        return
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
    if "on" not in data and True not in data:
        problems.append(f"{path}: no top-level `on` (what triggers the workflow)")
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        problems.append(f"{path}: no top-level `jobs` mapping with at least one job")
        return
    for job_id, job in jobs.items():
        where = f"{path}: job {job_id!r}"
        if not isinstance(job, dict):
            problems.append(f"{where}: is not a mapping")
            continue
        if "uses" in job:  # a call of a reusable workflow: it has the runner and the steps
            continue
        if "runs-on" not in job:
            problems.append(f"{where}: no `runs-on`")
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"{where}: no `steps` list")
            continue
        for number, step in enumerate(steps, 1):
            label = step.get("name") or step.get("uses") if isinstance(step, dict) else None
            step_where = f"{where}, step {number}" + (f" ({label})" if label else "")
            if not isinstance(step, dict):
                problems.append(f"{step_where}: is not a mapping")
            elif "run" not in step and "uses" not in step:
                problems.append(f"{step_where}: has neither `run` nor `uses`")
            elif "run" in step:
                check_run(step_where, step["run"], job, presets, problems, checked)


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip().splitlines()[0])
        print("usage: check_workflows.py [SOURCE_DIR]")
        return 0 if len(argv) == 2 else 2
    source_dir = Path(argv[1]) if len(argv) == 2 else Path(__file__).resolve().parents[2]
    problems = []
    checked = []  # every preset name a run script names
    presets = load_presets(source_dir, problems)
    check_vcpkg(source_dir, problems)
    workflow_dir = source_dir / ".github" / "workflows"
    workflows = sorted(p for p in workflow_dir.glob("*") if p.suffix in (".yml", ".yaml"))
    if not workflows:
        problems.append(f"{workflow_dir}: no workflow files (*.yml, *.yaml)")
    for path in workflows:
        check_workflow(path, presets, problems, checked)
    if problems:
        for problem in problems:
            print(f"check_workflows: {problem}", file=sys.stderr)
        print(f"check_workflows: FAILED, {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_workflows: {len(workflows)} workflow(s) OK: "
          f"{', '.join(p.name for p in workflows)}; {len(checked)} preset name(s) in their run "
          f"steps ({', '.join(sorted(set(checked)))}) are in CMakePresets.json; vcpkg.json "
          f"names {', '.join(VCPKG_REQUIRED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
