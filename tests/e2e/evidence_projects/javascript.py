"""A small JavaScript project (node's test runner) and the tests an agent might add for it."""

PRICING = """\
'use strict';

function discount(total, code) {
  if (code === 'HALF') {
    return total / 2;
  }
  if (total > 100) {
    return total - 10;
  }
  return total;
}

function shipping(weight) {
  if (weight <= 1) {
    return 5;
  }
  return 5 + (weight - 1) * 2;
}
"""

LOYALTY = """
function loyalty(points) {
  if (points >= 100) {
    return Math.floor(points / 10) * 2;
  }
  return Math.floor(points / 10);
}
"""

EXPORTS = "\nmodule.exports = { discount, shipping };\n"
EXPORTS_WITH_LOYALTY = "\nmodule.exports = { discount, shipping, loyalty };\n"

GOOD = """\
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { discount, shipping, loyalty } = require('../src/pricing.js');

test('the HALF code halves', () => {
  assert.strictEqual(discount(80, 'HALF'), 40);
});

test('big orders lose ten', () => {
  assert.strictEqual(discount(150, ''), 140);
  assert.strictEqual(discount(100, ''), 100);
});

test('shipping grows with weight', () => {
  assert.strictEqual(shipping(1), 5);
  assert.strictEqual(shipping(3), 9);
});

test('loyalty', () => {
  assert.strictEqual(loyalty(50), 5);
  assert.strictEqual(loyalty(100), 20);
  assert.strictEqual(loyalty(99), 9);
});
"""

ASSERTS_NOTHING = """\
'use strict';
const test = require('node:test');
const { discount, shipping, loyalty } = require('../src/pricing.js');

test('discount runs', () => {
  discount(80, 'HALF');
  discount(150, '');
});

test('shipping and loyalty run', () => {
  shipping(3);
  loyalty(100);
});
"""

MOCKED = """\
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const pricing = require('../src/pricing.js');

test('discount', (t) => {
  t.mock.method(pricing, 'discount', () => 40);
  assert.strictEqual(pricing.discount(80, 'HALF'), 40);
});

test('loyalty', (t) => {
  t.mock.method(pricing, 'loyalty', () => 20);
  assert.strictEqual(pricing.loyalty(100), 20);
});
"""

# A test the runner never finds: node --test looks for *.test.js and test/ directories.
NEVER_COLLECTED = GOOD.replace("../src/pricing.js", "./pricing.js")

EXISTING = """\
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { shipping } = require('../src/pricing.js');

test('light parcels cost five', () => {
  assert.strictEqual(shipping(1), 5);
});
"""
