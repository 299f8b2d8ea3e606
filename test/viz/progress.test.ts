import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker, formatDuration, formatMetric, progressBar } from '../../lib/viz/progress';

test('formatDuration and formatMetric', () => {
  assert.equal(formatDuration(12.4), '12s');
  assert.equal(formatDuration(245), '4:05');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(NaN), '?');
  assert.equal(formatMetric(0.123456), '0.1235');
  assert.equal(formatMetric(1234.5678), '1235');
  assert.equal(formatMetric(0.00001234), '1.23e-5');
});

test('ProgressTracker: rate from the first report on, ETA, and the line', () => {
  let now = 1000;
  const t = new ProgressTracker(100, () => now);
  now = 5000; // slow start before the first report is not counted
  t.update({ iteration: 10 });
  assert.equal(t.rate(), 0);
  now = 7000;
  t.update({ iteration: 30, metrics: { loss: 0.5, kl: 2 } });
  assert.equal(t.rate(), 10); // 20 iterations in 2 s
  assert.equal(t.etaSeconds(), 7);
  assert.equal(t.line('train'), 'train  30/100  30%  10.0 it/s  ETA 7s  loss=0.5 kl=2');
  now = 8000;
  t.update({ iteration: 31 }); // metrics kept from the last report that had them
  assert.match(t.line(), /loss=0\.5/);
});

/** A fake stream that records what is written. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { out: string[] } {
  const out: string[] = [];
  return { isTTY, columns: 80, out, write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream & { out: string[] };
}

test('progressBar rewrites one line on a TTY and prints throttled plain lines otherwise', () => {
  const tty = fakeStream(true);
  const bar = progressBar({ total: 5, stream: tty, minIntervalMs: 0 });
  for (let i = 1; i <= 5; i++) bar.update({ iteration: i, metrics: { loss: 1 / i } });
  bar.done();
  assert.ok(tty.out.slice(0, 5).every((s) => s.startsWith('\r') && !s.includes('\n')));
  assert.equal(tty.out.at(-1), '\n');
  assert.match(tty.out.at(-2)!, /5\/5 100%.*loss=0\.2/);

  const pipe = fakeStream(false);
  const plain = progressBar({ total: 1000, stream: pipe, plainEverySeconds: 3600 });
  for (let i = 1; i <= 1000; i++) plain.update({ iteration: i });
  plain.done('finished');
  assert.equal(pipe.out.length, 3, 'first update, the final line, the message');
  assert.ok(pipe.out.every((s) => s.endsWith('\n') && !s.includes('\r')));
  assert.match(pipe.out[1], /1000\/1000/);
  assert.equal(pipe.out[2], 'finished\n');
});
