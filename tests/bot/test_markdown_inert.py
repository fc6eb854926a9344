"""Text from a pull request is inert in everything the bot writes (attack 5 of issue 11).

A pull request chooses file names, symbols, test ids, reasons, exception messages, the word after
`/codegen` and (through a forged report) every field of a report. Each renderer is fed such text —
Hypothesis's arbitrary text, and known attacks — and its output is parsed with a real CommonMark
parser (markdown-it-py, tables on, as GitHub's GFM). The output must hold no link, no image, no
HTML but the bot's own tags, and no mention or text of the attacker outside code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot import markdown
from codegen_bot.bot.action import slash
from codegen_bot.bot.github.events import Job
from codegen_bot.bot.nightly import pull_body as nightly_pr
from codegen_bot.bot.publish import pull_review as publish
from codegen_bot.bot.publish import summary
from codegen_bot.bot.publish import tests_pull as tests_publish
from codegen_bot.bot.publish.suggestions import comment_body, plan_review
from codegen_bot.bot.report import FileNote, NightlyRef, Proposal, Report, SkippedTarget
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.patches import Replacement

#: Every attack carries `evil`: finding it outside code means the attack got through.
ATTACKS = (
    "![evil](https://evil.example/i.png)",
    "[click evil](https://evil.example)",
    "@evil-user",
    "#999 evil",
    "<img src=x onerror=evil()>",
    "<a href='https://evil.example'>evil</a>",
    "https://evil.example/x",
    "www.evil.example",
    "<https://evil.example>",
    "`` ` [evil](https://e.vil) ` ``",
    "```\n[evil](https://e.vil)\n```",
    "\n\n[evil](https://e.vil)\n\n",
    "x | [evil](https://e.vil) | y",
    "</code>[evil](https://e.vil)<code>",
    "</summary></details>[evil](https://e.vil)",
    "<!-- evil --> [evil](https://e.vil)",
    "\\`[evil](https://e.vil)\\`",
    "evil\r\n\r\n<b>x</b>",
)
untrusted = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ATTACKS),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(max_size=6),
        st.sampled_from(ATTACKS),
        st.text(max_size=6),
    ),
)
PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")
#: The HTML the bot writes itself.
OWN_TAGS = re.compile(r"</?(?:details|summary|sub|code)>")
MARKER = re.compile(r"<!-- codegen:[a-z-]+ \{[^>]*?\} -->")
HEX = "0123456789abcdef"
ACTOR = "maintainer"


def walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


def assert_inert(text: str) -> None:
    """No link, image, foreign HTML, mention or attacker text outside code in `text`."""
    for token in walk(PARSER.parse(text)):
        assert token.type not in ("link_open", "image"), (token, text)
        if token.type in ("html_inline", "html_block"):
            rest = MARKER.sub("", token.content)
            rest = re.sub(r"<code>[^<]*</code>", "", rest)
            rest = OWN_TAGS.sub("", rest)
            assert "<" not in rest and "evil" not in rest and "@" not in rest, (token, text)
        if token.type == "text":
            assert "evil" not in token.content, (token, text)
            assert "://" not in token.content and "www." not in token.content, (token, text)
            mentions = set(re.findall(r"@[A-Za-z0-9][\w-]*", token.content))
            assert mentions <= {f"@{ACTOR}"}, (token, text)


def build_report(data: st.DataObject) -> Report:
    """A report whose every field a pull request (or a forger) could choose is `untrusted`."""
    draw = data.draw

    def proposal(task: str, status: str) -> Proposal:
        path, symbol = draw(untrusted), draw(untrusted)
        metrics = {
            "target_path": draw(untrusted),
            "lines_gained": draw(st.one_of(st.integers(), untrusted)),
            "branches_gained": draw(st.one_of(st.integers(), untrusted)),
            "before": {"lines_covered": draw(untrusted), "lines_total": 3},
            "after": {"lines_covered": 3, "lines_total": draw(untrusted)},
            "runs_text": draw(untrusted),
            "seconds": draw(st.one_of(st.floats(allow_nan=False), untrusted)),
            "isolation": draw(untrusted),
            "key": draw(untrusted),
            "what": draw(untrusted),
            "rules": draw(untrusted),
            "imports_removed": [draw(untrusted)],
            "covering_tests": [draw(untrusted), draw(untrusted)],
        }
        accepted = status == "accepted"
        return Proposal(
            task=task,
            path=path,
            symbol=symbol,
            kind=draw(untrusted),
            start=1,
            end=2,
            identity=EngineIdentity(draw(untrusted), draw(untrusted), draw(untrusted)),
            status=status,  # type: ignore[arg-type]
            gates=(Verdict(draw(untrusted), accepted, draw(untrusted)),),
            reason=None if accepted else draw(untrusted),
            patch=draw(untrusted),
            suggestion=Replacement(1, 2, draw(untrusted)) if accepted else None,
            text=draw(untrusted),
            metrics=metrics,
        )

    proposals = tuple(
        proposal(task, status)
        for task in ("docs", "tests", "refactor")
        for status in ("accepted", "rejected")
    )
    return Report(
        repo=draw(untrusted),
        base=draw(st.text(HEX, min_size=40, max_size=40)),
        head=draw(st.text(HEX, min_size=40, max_size=40)),
        tasks=(draw(untrusted),),
        identity=EngineIdentity(draw(untrusted), draw(untrusted), draw(untrusted)),
        proposals=proposals,
        files=(FileNote(draw(untrusted), "skipped", draw(untrusted)),),
        skipped=tuple(
            SkippedTarget(task, draw(untrusted), draw(untrusted), draw(untrusted))
            for task in ("docs", "tests")
        ),
        notes=(draw(untrusted),),
        style=draw(untrusted),
        config_source=draw(untrusted),
        tool_version=draw(untrusted),
        nightly=NightlyRef(draw(untrusted), draw(untrusted)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_rendering_of_a_report_is_inert(data: st.DataObject) -> None:
    report = build_report(data)
    tests = [p for p in report.proposals if p.task == "tests"]
    placements = {
        p.key: data.draw(st.sampled_from(["new", "outside", "refused", "patch_only", "dismissed"]))
        for p in report.accepted
    }
    plan = plan_review(report.proposals, {}, [], {}, 20)
    published = tests_publish.PublishedTests(
        1, "nothing", note=tests_publish._why_none(report), head_ref=data.draw(untrusted)
    )
    texts = [
        summary.render(report, placements, {p.key: "x" for p in report.proposals}),
        markdown.render(report),
        tests_publish.pull_body(report, tests, 7, data.draw(untrusted)),
        tests_publish.fork_comment(report, tests),
        tests_publish.reply_text(published),
        nightly_pr.pr_body(report),
        publish.review_body(report, plan.comments),
        *(comment_body(p) for p in report.accepted),
    ]
    for text in texts:
        assert_inert(text)


@settings(max_examples=200, deadline=None)
@given(word=untrusted)
def test_the_command_word_is_inert_in_the_denial_and_the_help(word: str) -> None:
    job = Job(
        kind="command",
        repository="o/r",
        event="issue_comment.created",
        number=1,
        command="help",
        unknown=word,
        comment_id=5,
        actor=ACTOR,
    )
    assert_inert(slash.denial_text(job))
    assert_inert(slash.help_text(word))


def test_the_attack_as_written_is_inert() -> None:
    # issue 11: a failing test id with an image, a link and a mention, and `/codegen [click](url)`
    test_id = (
        "tests/test_x.py::test_a[![i](https://evil.example/i.png) [evil](https://e.vil) @evil]"
    )
    rejected = Proposal(
        "tests", "tests/test_x.py", test_id, "function", 1, 2, EngineIdentity("heuristic"),
        "rejected", (), f"failed: {test_id}", "", None, None,
    )  # fmt: skip
    report = Report("r", "a" * 40, "b" * 40, ("tests",), EngineIdentity("heuristic"), (rejected,))
    body = summary.render(report, {}, {})
    assert_inert(body)
    assert f"`{test_id}`" in body  # shown, as code
    job = Job(
        "command", "o/r", "issue_comment.created", 1, command="help", unknown="`[click](https://evil.example)`",
        comment_id=5, actor=ACTOR,
    )  # fmt: skip
    denial = slash.denial_text(job)
    assert_inert(denial)
    assert "`` /codegen `[click](https://evil.example)` ``" in denial


def test_the_checker_would_see_an_attack() -> None:
    # the property above could pass vacuously if the checker saw nothing: it sees each kind
    for text in ("[evil](https://e.vil)", "![evil](x)", "<b>evil</b>", "hi @evil", "www.evil.x"):
        try:
            assert_inert(text)
        except AssertionError:
            continue
        raise AssertionError(f"the checker missed {text!r}")
