// Turns what the file system threw into the engine's typed errors, keeping the file and the step.

import { DiskFullError, EngineError, IOError } from '../model/errors';

/** ENOSPC becomes DiskFullError (the caller may retry once space returns); anything else IOError. */
export function ioFailure(err: unknown, file: string, op: string): EngineError {
  if (err instanceof EngineError) return err;
  if ((err as { code?: string } | undefined)?.code === 'ENOSPC') return new DiskFullError(file, { cause: err });
  return new IOError(file, op, { cause: err });
}
