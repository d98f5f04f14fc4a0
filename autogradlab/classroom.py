"""The course on a JupyterHub: the nbgitpuller link that hands lesson 0 to every learner.

::

    autogradlab classroom-link https://hub.example.edu
    autogradlab classroom-link https://hub.example.edu --repo https://github.com/me/fork --branch b

prints a link of the form (one line)::

    https://hub.example.edu/hub/user-redirect/git-pull?repo=...&branch=...&targetpath=...&urlpath=..

A learner who clicks it logs in to the hub, gets their own server, and nbgitpuller clones the
course into ``~/autogradlab-course`` (or, on later clicks, merges the teacher's updates into their
copy without overwriting their edits); JupyterLab then opens lesson 0. See docs/teaching.md.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import quote, urlencode, urlsplit

# The repository the README's Binder badge points to ("Repository slug for the Binder badge"),
# and its branch. tests/test_classroom.py checks that these stay equal to the README's.
DEFAULT_SLUG = "autogradlab/autogradlab"
DEFAULT_REPO = f"https://github.com/{DEFAULT_SLUG}"
DEFAULT_BRANCH = "main"
FIRST_LESSON = "lessons/00_start_here.ipynb"
# Where the course lands in each learner's home. Not "autogradlab" (nbgitpuller's default, the
# repository's name): a folder of that name in the home would shadow the installed package as an
# empty namespace package in every notebook a learner starts in their home folder.
COURSE_FOLDER = "autogradlab-course"


class LinkError(ValueError):
    """A hub address or repository that cannot make a working link (the message says why)."""


def hub_base(hub_url: str) -> str:
    """The hub's address without a trailing slash or ``/hub`` part: what ``/hub/...`` joins to.

    Accepts what a teacher copies from the browser: ``https://hub.example.edu``,
    ``https://hub.example.edu/``, ``https://hub.example.edu/hub/home``, or a hub under a prefix
    (``https://example.edu/jupyter/hub/``).
    """
    text = hub_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(
            f"{hub_url!r} is not a hub address: give the address learners open in their browser, "
            "starting with https://, e.g. autogradlab classroom-link https://hub.example.edu"
        )
    if parts.query or parts.fragment:
        raise LinkError(f"{hub_url!r}: give the hub's address without ?query or #fragment")
    path = parts.path.rstrip("/")
    for tail in ("/hub/home", "/hub/spawn", "/hub/login", "/hub"):
        if path.endswith(tail):
            path = path[: -len(tail)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def classroom_link(hub_url: str, repo: str = DEFAULT_REPO, branch: str = DEFAULT_BRANCH,
                   lesson: str = FIRST_LESSON, folder: str = COURSE_FOLDER) -> str:
    """The nbgitpuller link that pulls ``repo`` at ``branch`` into ``~/folder`` and opens
    ``lesson`` there in JupyterLab.

    The query is URL-encoded (``quote``, nothing kept safe), so a repository URL with its own
    ``?`` or ``&`` survives, and the hub forwards it unchanged through ``/hub/user-redirect/``.
    """
    if not repo.strip():
        raise LinkError("--repo is empty: give the course's git URL")
    if not branch.strip():
        raise LinkError("--branch is empty: give a branch name, e.g. main")
    query = urlencode(
        [
            ("repo", repo.strip()),
            ("branch", branch.strip()),
            ("targetpath", folder),
            ("urlpath", f"lab/tree/{folder}/{lesson}"),
        ],
        quote_via=quote,
        safe="",
    )
    return f"{hub_base(hub_url)}/hub/user-redirect/git-pull?{query}"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``classroom-link`` subcommand, on the ``autogradlab`` command's subparsers."""
    link = sub.add_parser(
        "classroom-link",
        help="print the nbgitpuller link that opens lesson 0 for every learner on a JupyterHub",
        description=(
            "Print the nbgitpuller link for a JupyterHub: a learner who clicks it gets the lessons "
            "in their own home folder (their edits are kept on later clicks) and JupyterLab "
            "opens lesson 0. See docs/teaching.md."
        ),
    )
    link.add_argument("hub_url", metavar="HUB_URL",
                      help="the hub's address, e.g. https://hub.example.edu")
    link.add_argument("--repo", default=DEFAULT_REPO,
                      help=f"the course's git repository (default: {DEFAULT_REPO})")
    link.add_argument("--branch", default=DEFAULT_BRANCH,
                      help=f"the branch learners pull (default: {DEFAULT_BRANCH})")


def main(args: argparse.Namespace) -> int:
    try:
        print(classroom_link(args.hub_url, repo=args.repo, branch=args.branch))
    except LinkError as err:
        print(f"autogradlab classroom-link: {err}", file=sys.stderr)
        return 2
    return 0
