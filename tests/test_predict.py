"""``ag.animate(L, predict=True)``: each backward step is asked before it is shown; the expected
numbers are the engine's, wrong answers are diagnosed and do not advance, right ones do."""

from __future__ import annotations

import pytest
from ipywidgets.widgets.widget_link import Link

import autogradlab as ag
from autogradlab import autograd
from autogradlab.widgets.predict import PredictPlayer


def readme():
    w1, w2, w3, w4, a = (ag.tensor(v, requires_grad=True) for v in (3.0, -1.0, 2.0, 4.0, 2.0))
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    L.backward()
    names = {"w1": w1, "w2": w2, "w3": w3, "w4": w4, "a": a, "b": b, "c": c, "d": d, "L": L}
    return L, names


@pytest.fixture
def player() -> PredictPlayer:
    L, names = readme()
    return ag.animate(L, predict=True, names=names)


def pending(player: PredictPlayer):
    assert player.pending is not None
    return player.pending


def test_every_backward_step_is_a_question_with_the_engines_number(player):
    L, names = readme()
    totals = [e.total.item() for e in autograd.recorded_events(L)
              if isinstance(e, autograd.GradientSent)]
    assert len(player.questions) == len(totals) == 11
    for question, total in zip(player.questions, totals):
        assert player.steps[question.index].kind == "backward"
        if question.kind == "gradient":
            assert question.expected == total
    first = player.questions[0]
    assert (first.kind, first.asks, first.expected) == ("local", "∂L/∂d", -1.0)
    last = player.questions[-1]
    assert (last.asks, last.expected) == ("∂L/∂a", names["a"].grad.item())


def test_a_question_hides_its_result_until_answered(player):
    q = pending(player)
    assert player.frames.children[q.index].value != player.revealed_pngs[q.index]
    assert "Your turn" in player.captions.children[q.index].value
    assert str(q.expected) not in player.captions.children[q.index].value


def test_a_wrong_answer_is_diagnosed_and_does_not_advance(player):
    q = pending(player)
    player.step = q.index
    verdict = player.answer(1.0)  # the sign flipped
    assert verdict.startswith("Not yet") and "sign is flipped" in verdict and "Hint:" in verdict
    assert player.step == q.index and player.pending is q
    assert player.frames.children[q.index].value != player.revealed_pngs[q.index]
    assert "sign is flipped" in player.verdict.value


def test_a_right_answer_reveals_and_advances(player):
    q = pending(player)
    player.step = q.index
    verdict = player.answer("-1")
    assert verdict.startswith("Right: ∂L/∂d = -1.0")
    assert player.frames.children[q.index].value == player.revealed_pngs[q.index]
    assert player.step == q.index + 1
    assert player.pending is player.questions[1]


def answer_until(player: PredictPlayer, asks: str, before: int | None = None) -> None:
    """Answer right until the question ``asks`` (with ``before`` known, if given) is asked."""
    while not (pending(player).asks == asks
               and (before is None or pending(player).before is not None)):
        player.answer(pending(player).expected)


def test_diagnoses_one_path_local_without_upstream_and_forward_value(player):
    answer_until(player, "∂L/∂a", before=1)
    q = pending(player)
    assert (q.before, q.contribution, q.upstream, q.local) == (4.0, -6.0, -2.0, 3.0)
    assert "one path only" in player.answer(-6.0)
    assert "without the upstream factor" in player.answer(3.0)
    assert "forward value" in player.answer(6.0)  # b's value
    assert player.answer(99.0).startswith("Not yet: 99.0 is not ∂L/∂a. Hint:")
    assert "plus the 4.0 that a already had" in player.answer(99.0)
    assert player.pending is q


def test_play_and_the_slider_stop_at_the_question(player):
    q = pending(player)
    player.play.value = len(player.steps) - 1
    assert player.play.value == q.index
    player.last_button.click()
    assert player.step == q.index


def test_the_score_counts_right_first_tries(player):
    player.answer(12345)  # one wrong try on the first question
    while player.pending is not None:
        player.answer(pending(player).expected)
    assert player.score == len(player.questions) - 1
    assert f"Score: {player.score} of {len(player.questions)}" in player.score_text.value
    assert player.answer(0).startswith("Nothing left")
    player.step = len(player.steps) - 1
    assert player.step == len(player.steps) - 1  # nothing holds it back now


def test_without_a_kernel_the_browser_still_plays_every_frame(player):
    assert player.play.max == len(player.steps) - 1
    links = {(link.source[1], link.target[0].__class__.__name__) for link in player.links}
    assert all(isinstance(link, Link) for link in player.links)
    assert ("value", "Stack") in links


def test_a_tensor_question_asks_for_one_entry():
    ag.manual_seed(0)
    a = ag.randn(2, 2, requires_grad=True)
    w = ag.randn(2, 2, requires_grad=True)
    L = (a * w).sum()
    L.backward()
    player = ag.animate(L, predict=True, names={"a": a, "w": w, "L": L})
    # the upstream gradient is all ones, so the step is about the local derivative ∂(a*w)/∂a
    q = next(q for q in player.questions if q.target == "a")
    assert (q.kind, q.asks, q.entry) == ("local", "∂mul1/∂a", "[0, 0]")
    assert "entry [0, 0]" in q.prompt
    expected = w.detach().numpy()[0, 0]
    assert q.expected == pytest.approx(expected) == pytest.approx(a.grad.numpy()[0, 0])


def test_a_non_number_answer_asks_for_a_number(player):
    assert player.answer("minus two").startswith("Type a number")
    assert player.pending is player.questions[0]


def test_opening_a_folded_group_asks_about_the_steps_now_shown():
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(2, 3), ag.nn.Tanh(), ag.nn.Linear(3, 1))
    x = ag.randn(4, 2)
    L = model(x).sum()
    L.backward()
    player = ag.animate(L, predict=True, group="module", names={"model": model, "x": x, "L": L})
    folded = [q.target for q in player.questions]
    player.answer(player.pending.expected)
    player.opener.value = "0"  # open the first Linear: its weight and bias get questions
    opened = [q.target for q in player.questions]
    assert opened != folded and "model.0.weight" in opened
    assert player.answered == 0 and player.score == 0
    for q in player.questions:
        assert player.steps[q.index].kind == "backward"
        assert player.frames.children[q.index].value != player.revealed_pngs[q.index]
    weight = next(q for q in player.questions if q.target == "model.0.weight")
    assert weight.expected == pytest.approx(model[0].weight.grad.numpy().reshape(-1)[0])


def test_the_answer_box_sends_its_number_once_on_enter_or_check():
    """Enter (a value change of the box, which syncs on Enter) and Check both send the typed
    number; it is checked once and the box is emptied, so a Check after Enter does nothing."""
    a = ag.tensor(2.0, requires_grad=True)
    L = 10 - a * 3
    L.backward()
    player = ag.animate(L, predict=True)
    first = player.pending
    player.answer_box.value = "12345"  # what Enter does in the browser
    assert player.answer_box.value == ""
    assert "12345" in player.verdict.value and "Not yet" in player.verdict.value
    shown = player.verdict.value
    player.check_button.click()  # the box is empty: nothing is sent again
    assert player.verdict.value == shown and player._tries == 1
    player.answer_box.value = str(first.expected)
    player.check_button.click()
    assert player.pending is not first
