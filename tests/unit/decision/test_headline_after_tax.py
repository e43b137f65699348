"""The headline says "after tax" when tax is in the cost, and a negative after-tax cost as a saving."""
from rebal.decision.recommend import Recommendation


def _rec(costs):
    return Recommendation("ADOPT TARGET", 6, ("r",), "adopt", None, None, costs, 2_000.0, 3, 100_000.0, 1.0, 1.0,
                          "p-1")


def test_a_trade_that_saves_more_tax_than_it_costs_reads_as_a_saving():
    # $500 trading + (−$4,000) tax on realised losses = a saving of $3,500
    h = _rec({"trading": 500.0, "estimated tax": -4_000.0}).headline()
    assert "a net saving of $3,500 after tax" in h and "$-" not in h and "benefit of $2,000" in h


def test_tax_in_the_cost_is_named_and_without_it_the_cost_is_plain():
    assert "cost $1,700 after tax," in _rec({"trading": 500.0, "estimated tax": 1_200.0}).headline()
    assert "cost $500," in _rec({"trading": 500.0}).headline()
