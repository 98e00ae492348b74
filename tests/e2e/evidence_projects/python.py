"""A small Python project and the tests an agent might add for it, good and bad: as files."""

PRICING = '''\
def discount(total: float, code: str) -> float:
    """The total after a discount code."""
    if code == "HALF":
        return total / 2
    if total > 100:
        return total - 10
    return total


def shipping(weight: int) -> int:
    if weight <= 1:
        return 5
    return 5 + (weight - 1) * 2
'''

# The ticket adds `loyalty` and tests it with the rest.
LOYALTY = '''

def loyalty(points: int) -> int:
    """Points earned on an order: one per 10 spent, doubled from 100."""
    if points >= 100:
        return points // 10 * 2
    return points // 10
'''

PYTEST_GOOD = """\
from pricing import discount, loyalty, shipping


def test_half_code_halves() -> None:
    assert discount(80, "HALF") == 40


def test_big_orders_lose_ten() -> None:
    assert discount(150, "") == 140
    assert discount(100, "") == 100


def test_shipping_grows_with_weight() -> None:
    assert shipping(1) == 5
    assert shipping(3) == 9


def test_loyalty() -> None:
    assert loyalty(50) == 5
    assert loyalty(100) == 20
    assert loyalty(99) == 9
"""

PYTEST_ASSERTS_NOTHING = """\
from pricing import discount, loyalty, shipping


def test_discount_runs() -> None:
    discount(80, "HALF")
    discount(150, "")


def test_shipping_runs() -> None:
    shipping(3)


def test_loyalty_runs() -> None:
    loyalty(100)
"""

PYTEST_MOCKED = """\
from unittest import mock

import pricing


def test_discount() -> None:
    with mock.patch.object(pricing, "discount", return_value=40):
        assert pricing.discount(80, "HALF") == 40


def test_shipping() -> None:
    with mock.patch.object(pricing, "shipping", return_value=9):
        assert pricing.shipping(3) == 9


def test_loyalty() -> None:
    with mock.patch.object(pricing, "loyalty", return_value=20):
        assert pricing.loyalty(100) == 20
"""

UNITTEST_GOOD = """\
import unittest

from src.pricing import discount, loyalty, shipping


class PricingTest(unittest.TestCase):
    def test_half_code_halves(self) -> None:
        self.assertEqual(discount(80, "HALF"), 40)

    def test_big_orders_lose_ten(self) -> None:
        self.assertEqual(discount(150, ""), 140)
        self.assertEqual(discount(100, ""), 100)

    def test_shipping(self) -> None:
        self.assertEqual(shipping(1), 5)
        self.assertEqual(shipping(3), 9)

    def test_loyalty(self) -> None:
        self.assertEqual(loyalty(50), 5)
        self.assertEqual(loyalty(100), 20)
        self.assertEqual(loyalty(99), 9)
"""

UNITTEST_ASSERTS_NOTHING = """\
import unittest

from src.pricing import discount, loyalty, shipping


class PricingTest(unittest.TestCase):
    def test_everything_runs(self) -> None:
        discount(80, "HALF")
        discount(150, "")
        shipping(3)
        loyalty(100)
        self.assertTrue(True)
"""

UNITTEST_MOCKED = """\
import unittest
from unittest import mock

from src import pricing


class PricingTest(unittest.TestCase):
    @mock.patch("src.pricing.discount", return_value=40)
    def test_discount(self, discount: mock.Mock) -> None:
        self.assertEqual(pricing.discount(80, "HALF"), 40)
        discount.assert_called_once_with(80, "HALF")

    @mock.patch("src.pricing.loyalty", return_value=20)
    def test_loyalty(self, loyalty: mock.Mock) -> None:
        self.assertEqual(pricing.loyalty(100), 20)
"""

PYTEST_EXISTING = """\
from pricing import shipping


def test_light_parcels_cost_five() -> None:
    assert shipping(1) == 5
"""

UNITTEST_EXISTING = """\
import unittest

from src.pricing import shipping


class ShippingTest(unittest.TestCase):
    def test_light_parcels_cost_five(self) -> None:
        self.assertEqual(shipping(1), 5)
"""
