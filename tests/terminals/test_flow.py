"""OutputFlow: a socket's share of a pane's output, on a clock the test moves."""

from __future__ import annotations

from terminals.streams import QUIET, OutputFlow


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_output_within_the_burst_goes_out_and_the_rate_refills_it() -> None:
    clock = Clock()
    flow = OutputFlow(rate=1000, burst=4000, clock=clock)
    assert flow.admit(4000)  # the whole burst at once, to the byte
    assert not flow.admit(1) and flow.behind
    fresh = OutputFlow(rate=1000, burst=4000, clock=clock)
    assert fresh.admit(3000)
    clock.now += 0.5  # +500
    assert fresh.admit(1500) and not fresh.behind
    clock.now += 10  # refills to the burst, no further
    assert fresh.admit(4000) and not fresh.admit(1)


def test_behind_drops_everything_until_an_exact_repaint_with_budget_left() -> None:
    clock = Clock()
    flow = OutputFlow(rate=1000, burst=1000, clock=clock)
    assert not flow.admit(2000) and flow.behind
    clock.now += 5  # budget is back, but the lag only ends with a repaint
    assert not flow.admit(10)
    flow.repainted(100, exact=False)  # output was in flight: still behind
    assert flow.behind
    flow.repainted(100, exact=True)
    assert not flow.behind
    assert flow.admit(10)


def test_a_repaint_that_spends_the_budget_keeps_the_socket_behind() -> None:
    clock = Clock()
    flow = OutputFlow(rate=100, burst=100, clock=clock)
    assert not flow.admit(500)
    flow.repainted(150, exact=True)  # 100 - 150 < 0
    assert flow.behind
    clock.now += 1
    flow.repainted(10, exact=True)  # -50 + 100 - 10 > 0
    assert not flow.behind


def test_quiet_means_no_output_for_a_while() -> None:
    clock = Clock()
    flow = OutputFlow(rate=100, burst=100, clock=clock)
    assert flow.quiet()  # nothing yet
    flow.admit(1)
    assert not flow.quiet()
    clock.now += QUIET / 2
    assert not flow.quiet()
    clock.now += QUIET
    assert flow.quiet()
