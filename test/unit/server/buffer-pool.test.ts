import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../../src/server/buffer-pool.js';

describe('buffer pool', () => {
  it('hands a returned buffer out again instead of allocating', () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take();
    pool.give(a);
    assert.equal(pool.take(), a);
    assert.equal(pool.allocated, 1);
  });

  it('keeps at most maxFree idle buffers, and none of another size', () => {
    const pool = new BufferPool(1024, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const b of taken) pool.give(b);
    assert.equal(pool.free, 2);
    pool.take();
    pool.give(Buffer.alloc(512));
    assert.equal(pool.free, 1, 'a buffer of another size is left to the GC');
  });
});
