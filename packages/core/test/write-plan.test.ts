/**
 * The write planner is pure: checked here exhaustively, without a server.
 */
import fc from 'fast-check';
import { diffBody, touchNotDue } from '../src/write-plan';

const value = fc.jsonValue({ maxDepth: 3 });
const body = fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 8 });

describe('diffBody', () => {
  it('applying its set and unset to what was read gives exactly the new body', () => {
    fc.assert(
      fc.property(body, body, (previous, next) => {
        const { set, unset } = diffBody(previous, next);
        const applied: Record<string, unknown> = { ...previous, ...set };
        for (const key of unset) delete applied[key];
        expect(applied).toEqual(next);
        // Nothing unchanged is written.
        for (const key of Object.keys(set))
          expect(Object.hasOwn(previous, key) && JSON.stringify(previous[key]) === JSON.stringify(next[key])).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('changes to lazy keys alone are not data changes; any other change is', () => {
    fc.assert(
      fc.property(body, value, value, (base, before, after) => {
        fc.pre(JSON.stringify(before) !== JSON.stringify(after));
        const lazyOnly = diffBody({ ...base, cookie: before }, { ...base, cookie: after }, ['cookie']);
        expect(lazyOnly).toMatchObject({ dataChanged: false, lazyChanged: true });
        const data = diffBody({ ...base, cookie: before, k: before }, { ...base, cookie: before, k: after }, ['cookie']);
        expect(data).toMatchObject({ dataChanged: true, lazyChanged: false });
        expect(diffBody(base, { ...base }, ['cookie'])).toMatchObject({ dataChanged: false, lazyChanged: false, unset: [] });
      }),
      { numRuns: 200 },
    );
  });
});

describe('touchNotDue', () => {
  it('never skips a touch that would leave less than half the requested lifetime', () => {
    const now = 1_700_000_000_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 * 86_400_000 }),
        fc.integer({ min: 0, max: 60 * 86_400_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        (lifetime, stored, window) => {
          const expires = new Date(now + lifetime);
          const snapshot = { expires: new Date(now + stored) };
          if (touchNotDue(snapshot, expires, window, now)) {
            expect(snapshot.expires.getTime() - now).toBeGreaterThanOrEqual(lifetime / 2);
            expect(expires.getTime() - snapshot.expires.getTime()).toBeLessThanOrEqual(window);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('skips while the stored expiry is within the window, and writes once it is not', () => {
    const now = 1_700_000_000_000;
    const expires = new Date(now + 14 * 86_400_000);
    expect(touchNotDue({ expires: new Date(expires.getTime() - 1000) }, expires, 3_600_000, now)).toBe(true);
    expect(touchNotDue({ expires: new Date(expires.getTime() - 3_600_001) }, expires, 3_600_000, now)).toBe(false);
    expect(touchNotDue({ expires: new Date(expires.getTime() - 1) }, expires, 0, now)).toBe(false);
  });
});
