/** must(): returns a present value (falsy ones too) and throws a clear, recognisable error for undefined. */
import assert from 'node:assert/strict';
import { must, MissingValueError } from '../../src/core/common/must';

describe('must', () => {
  it('returns the value, falsy or not', () => {
    assert.equal(must(0, 'zero'), 0);
    assert.equal(must('', 'empty'), '');
    assert.equal(must(null, 'null'), null);
    assert.deepEqual(must([1], 'list'), [1]);
  });

  it('throws a MissingValueError naming what was missing', () => {
    assert.throws(
      () => must([1, 2][5], 'the sixth number'),
      (error: unknown) => MissingValueError.is(error) && error.what === 'the sixth number' && /the sixth number is missing/.test(error.message),
    );
    assert.equal(MissingValueError.is(new Error('x')), false);
  });
});
