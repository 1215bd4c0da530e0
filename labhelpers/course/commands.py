"""The course's commands of ``python -m labhelpers``: ``student-edition``, ``grade``, ``html`` and
``slides`` (see :mod:`labhelpers.course`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_course_commands"]


def _student_edition(args: argparse.Namespace) -> int:
    from labhelpers.course.edition import build_student_edition

    made = build_student_edition(args.out)
    notebooks = sorted(p.name for p in (made / "notebooks").glob("*.ipynb"))
    print(f"Student edition: {made} ({len(notebooks)} notebooks: {', '.join(notebooks)})")
    print("It holds no model solutions and no answer keys; hand out that folder (zip it).")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from labhelpers.course.grade import check_out, grade, write_grades

    problem = check_out(args.out, args.force)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    columns, rows = grade(
        args.submissions, time_limit=args.time_limit, fast=not args.full, progress=True
    )
    written = write_grades(args.out, columns, rows, force=args.force)
    print(f"Grades of {len(rows)} submission(s): {written}")
    return 0


def _html(args: argparse.Namespace) -> int:
    from labhelpers.course.present import build_html

    for path in build_html(
        args.out,
        fast=args.fast,
        lessons=args.lesson or None,
        time_limit=args.time_limit,
        progress=True,
    ):
        print(path)
    return 0


def _slides(args: argparse.Namespace) -> int:
    from labhelpers.course.present import export_slides

    for path in export_slides(
        args.out,
        fast=args.fast,
        lessons=args.lesson or None,
        time_limit=args.time_limit,
        progress=True,
    ):
        print(path)
    return 0


def _lesson_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="a new (or empty) folder to write into")
    parser.add_argument(
        "--lesson",
        action="append",
        metavar="NAME",
        help="only this notebook (e.g. 03_style_loss; repeatable; default: all)",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="fast mode (LAB_FAST=1: tiny pictures, for a quick check or CI); "
        "default: full size, as in class",
    )
    parser.add_argument(
        "--time-limit", type=float, default=1800.0, help="seconds per notebook (default 1800)"
    )


def add_course_commands(commands: Any) -> None:
    """Add the course's commands to ``python -m labhelpers``'s sub-parsers."""
    edition = commands.add_parser(
        "student-edition", help="a copy of the lab for students: no solutions, no answer keys"
    )
    edition.add_argument("out", help="a new (or empty) folder; the copy is OUT/release/...")
    edition.set_defaults(run=_student_edition)

    grading = commands.add_parser("grade", help="run submitted notebooks, tabulate verdicts")
    grading.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    grading.add_argument("--out", required=True, help="the CSV to write (e.g. grades.csv)")
    grading.add_argument("--force", action="store_true", help="replace an existing --out file")
    grading.add_argument(
        "--time-limit", type=float, default=600.0, help="seconds per notebook (default 600)"
    )
    grading.add_argument("--full", action="store_true", help="full size instead of fast mode")
    grading.set_defaults(run=_grade)

    html = commands.add_parser("html", help="executed HTML copies of the lessons")
    _lesson_options(html)
    html.set_defaults(run=_html)

    slides = commands.add_parser("slides", help="every lesson figure as a slide-size PNG")
    _lesson_options(slides)
    slides.set_defaults(run=_slides)
