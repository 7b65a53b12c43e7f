import { describe, expect, it } from '@jest/globals';
import { tokenShape } from './token-shape.js';

describe('tokenShape', () => {
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['workload', 'none'],
    ['pass.word', 'none'],
    ['s3cr3t with spaces.a.b', 'none'],
    ['eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', 'jws'],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.', 'jws'],
    ['eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'jwe'],
  ])('classifies %p as %s', (password, shape) => {
    expect(tokenShape(password)).toBe(shape);
  });
});
