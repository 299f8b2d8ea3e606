import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError, isUserError } from '../../lib/errors';

test('UserError is recognised and keeps a one-line message', () => {
  const e = new UserError('Fashion-MNIST not found at /x: install dataset-fashion-mnist or pass --data DIR');
  assert.ok(isUserError(e));
  assert.ok(!isUserError(new Error('bug')));
  assert.equal(e.message.includes('\n'), false);
});
