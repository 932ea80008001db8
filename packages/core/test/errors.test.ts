import * as core from '@mongo-session/core';

const classes = [
  ['MongoSessionError', core.MongoSessionError],
  ['InvalidOptionError', core.InvalidOptionError],
  ['InvalidSessionIdError', core.InvalidSessionIdError],
  ['InvalidArgumentError', core.InvalidArgumentError],
  ['ConnectionError', core.ConnectionError],
  ['OperationError', core.OperationError],
  ['SerializationError', core.SerializationError],
  ['StoreClosedError', core.StoreClosedError],
] as const;

describe('error tree', () => {
  it('exports every class, each named after itself and extending MongoSessionError', () => {
    const exported = Object.entries(core).filter(
      ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Error,
    );
    expect(exported.map(([k]) => k).sort()).toEqual(classes.map(([n]) => n).sort());
    for (const [name, Class] of classes) {
      const error =
        name === 'InvalidOptionError' || name === 'InvalidArgumentError'
          ? new (Class as new (a: string, m: string) => Error)('x', 'm')
          : new (Class as new (...a: unknown[]) => Error)(
              ...(name === 'MongoSessionError' ? [core.ErrorCode.Operation, 'm'] : ['m']),
            );
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(core.MongoSessionError);
      expect(error).toBeInstanceOf(Error);
      expect(core.isMongoSessionError(error)).toBe(true);
    }
  });

  it('codes are a frozen map, each unique, and none is ENOENT', () => {
    expect(Object.isFrozen(core.ErrorCode)).toBe(true);
    const codes = Object.values(core.ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain('ENOENT');
    expect(new core.StoreClosedError().code).toBe(core.ErrorCode.StoreClosed);
    expect(new core.ConnectionError('m').code).toBe(core.ErrorCode.Connection);
  });

  it('name is read-only and cause is kept', () => {
    const cause = new Error('root');
    const error = new core.ConnectionError('m', { cause });
    expect(error.cause).toBe(cause);
    expect(() => {
      (error as { name: string }).name = 'Other';
    }).toThrow(TypeError);
  });
});
